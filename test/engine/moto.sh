#!/usr/bin/env bash
# `npm run engine:moto [-- PORT]`: moto's server (the AWS emulator, pinned in moto-requirements.txt)
# on 127.0.0.1:PORT (default 5000), in the foreground. Point the stand-in AWS provider and the audit at it
# with AWS_ENDPOINT_URL=http://127.0.0.1:PORT. Installs moto first into node_modules/.cache/moto (a
# Python virtual environment, ignored) when it is missing or older than the requirements file.
# ENGINE_MOTO_INSTALL_ONLY=1 installs and exits.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$src/../../node_modules/.cache/moto"
requirements="$src/moto-requirements.txt"
if [ ! -x "$venv/bin/moto_server" ] || [ "$requirements" -nt "$venv/installed" ]; then
  command -v python3 >/dev/null || { echo "engine:moto: python3 is not installed (needed for moto, the AWS emulator)" >&2; exit 127; }
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  touch "$venv/installed"
fi
[ -z "${ENGINE_MOTO_INSTALL_ONLY:-}" ] || exit 0
# AWS managed policies (AdministratorAccess) exist, as in a real account: without this moto refuses
# AttachUserPolicy with NoSuchEntity.
export MOTO_IAM_LOAD_MANAGED_POLICIES=true
exec "$venv/bin/moto_server" -H 127.0.0.1 -p "${1:-5000}"
