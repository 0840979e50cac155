#!/usr/bin/env bash
# `npm run engine:pulumi -- ARGS`: runs the real Pulumi CLI built from test/engine/go.mod (the
# version the project pins, from the Go module proxy, checked by go.sum) in the folder npm was
# started in, through pulumi-cli.ts (stand-in providers, local backend), building the CLI first when
# the binary is missing or older than the Go sources. Binaries go to node_modules/.cache/engine/bin
# (ignored; PulumiCommand.get({ root: "node_modules/.cache/engine" }) finds bin/pulumi there), next
# to the stand-in Node language host that starts local policy packs. The first build compiles
# ~1700 packages (about 13 min on 2 cores); with Go's build cache warm a rebuild is a ~10 s link
# (-s -w: no DWARF, which would triple it; so none is compiled either, -dwarf=false).
# ENGINE_PULUMI_BUILD_ONLY=1 builds and exits.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$src/../../node_modules/.cache/engine/bin"
if [ ! -x "$bin/pulumi" ] || [ ! -x "$bin/pulumi-language-nodejs" ] ||
  [ -n "$(find "$src" -maxdepth 2 \( -name '*.go' -o -name 'go.*' \) -newer "$bin/pulumi")" ]; then
  command -v go >/dev/null || { echo "engine:pulumi: Go is not installed (needed to build the Pulumi CLI from test/engine/go.mod)" >&2; exit 127; }
  version="$(sed -n 's|^\tgithub.com/pulumi/pulumi/pkg/v3 \(v[^ ]*\)$|\1|p' "$src/go.mod")"
  ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
  flags=(-trimpath -gcflags=all=-dwarf=false -ldflags "$ldflags")
  (cd "$src" && go build "${flags[@]}" -o "$bin/pulumi-language-nodejs" ./language-nodejs &&
    go build "${flags[@]}" -o "$bin/pulumi" . && touch "$bin/pulumi")
fi
[ -z "${ENGINE_PULUMI_BUILD_ONLY:-}" ] || exit 0
exec node -r "$src/../ts-node-swc.js" "$src/pulumi-cli.ts" "$@"
