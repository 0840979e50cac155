# Puts the Node release named in .node-version (the one the GitHub workflows use too) first on
# PATH. Sourced by .ci/run, and by hand from bash or zsh (`source .ci/node-env.sh`, from any
# folder) or sh (`. .ci/node-env.sh`, from the repository root: sh cannot tell a sourced file its
# own path). Returns non-zero, with the reason on stderr, when it cannot.
#
# The project needs Node >= 22 (@pulumi/pulumi >= 3.250; package.json engines); CI runs the Node 24
# LTS line. A machine with another release gets the pinned one from the npm registry's `node`
# package, which carries the official binary, installed into the ignored folder .ci/.node.
_node_env_root=
if [ -n "${BASH_VERSION:-}" ]; then
  eval '_node_env_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)'
elif [ -n "${ZSH_VERSION:-}" ]; then
  eval '_node_env_root=$(cd "$(dirname "${(%):-%x}")/.." && pwd)'
elif [ -f .ci/node-env.sh ]; then
  _node_env_root=$(pwd)
fi

_node_env() {
  local root pin bin have
  root=$1
  if [ -z "$root" ] || [ ! -f "$root/.node-version" ]; then
    echo "node-env: cannot find the repository; from sh, run it in the repository root: . .ci/node-env.sh" >&2
    return 1
  fi
  pin=$(tr -d ' \t\r\n' <"$root/.node-version")
  case "$pin" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *)
      echo "node-env: .node-version holds \"$pin\"; expected a Node release such as 24.21.0" >&2
      return 1
      ;;
  esac
  have=$(node --version 2>/dev/null || echo "no Node")
  [ "$have" = "v$pin" ] && return 0
  bin="$root/.ci/.node/node_modules/node/bin"
  if [ "$("$bin/node" --version 2>/dev/null)" != "v$pin" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "node-env: this machine has $have and no npm to install Node $pin with; install Node $pin (.node-version)" >&2
      return 1
    fi
    echo "node-env: installing Node $pin from the npm registry's node package into .ci/.node (this machine has $have)" >&2
    # npm's errors (registry unreachable, no such version) go to stderr; its summary does not.
    if ! npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$root/.ci/.node" "node@$pin" >/dev/null; then
      echo "node-env: npm could not install node@$pin (npm's reason is above); Node is still $have" >&2
      return 1
    fi
    if [ "$("$bin/node" --version 2>/dev/null)" != "v$pin" ]; then
      echo "node-env: npm installed node@$pin, but $bin/node does not run as v$pin; Node is still $have" >&2
      return 1
    fi
  fi
  PATH="$bin:$PATH"
  export PATH
}

if _node_env "$_node_env_root"; then
  unset -f _node_env
  unset _node_env_root
else
  unset -f _node_env
  unset _node_env_root
  return 1
fi
