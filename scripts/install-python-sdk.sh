#!/bin/sh
# Installs the official MCP Python SDK (PyPI package mcp, pinned) into a project-local virtual
# environment, .tools/python-venv, for the real-client integration tests in e2e/python/.
#
# Needs python3 (>= 3.10) with the venv module. On Debian/Ubuntu without it (python3 -m venv fails),
# running as root installs python3-venv with apt-get; otherwise the script stops with a clear message.
# Idempotent: when the venv already holds the pinned version it does nothing and returns quickly.
#
# Last line of stdout: the absolute path of the venv's python interpreter.
#
# Env:
#   CUSTOS_MCP_PY_SPEC  pip requirement to install (default mcp==2.3.0)
#   CUSTOS_PYTHON       interpreter that creates the venv (default python3)
set -eu

die() {
    echo "install-python-sdk.sh: ERROR: $*" >&2
    exit 1
}

root=$(cd "$(dirname "$0")/.." && pwd) || die "cannot resolve project root"
spec=${CUSTOS_MCP_PY_SPEC:-mcp==2.3.0}
python=${CUSTOS_PYTHON:-python3}
venv="$root/.tools/python-venv"
venv_python="$venv/bin/python"
wanted_version=${spec#*==}

installed_version() {
    # prints the version of mcp installed in the venv, or nothing
    [ -x "$venv_python" ] || return 0
    "$venv_python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null || true
}

if [ -n "$wanted_version" ] && [ "$wanted_version" != "$spec" ] && [ "$(installed_version)" = "$wanted_version" ]; then
    echo "$venv_python"
    exit 0
fi

if ! command -v "$python" >/dev/null 2>&1 && [ "$python" = python3 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-python-sdk.sh: python3 not found; installing python3 and python3-venv with apt-get" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv; } >&2 \
        || die "apt-get install python3 python3-venv failed"
fi
command -v "$python" >/dev/null 2>&1 || die "$python not found on PATH; install Python 3.10 or newer (e.g. apt-get install python3 python3-venv)"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
    || die "$python is $("$python" -V 2>&1); the MCP Python SDK needs Python 3.10 or newer"

if [ ! -x "$venv_python" ]; then
    # A half-created venv (e.g. Debian's ensurepip missing) is removed so the next attempt starts clean.
    if ! "$python" -m venv "$venv" >&2 2>/dev/null; then
        rm -rf "$venv"
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            echo "install-python-sdk.sh: python3 -m venv is unavailable; installing python3-venv with apt-get" >&2
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } >&2 \
                || die "apt-get install python3-venv failed"
            "$python" -m venv "$venv" >&2 || { rm -rf "$venv"; die "python3 -m venv still fails after installing python3-venv"; }
        else
            die "python3 -m venv is unavailable; install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv) and run again"
        fi
    fi
fi

echo "install-python-sdk.sh: pip install $spec into $venv" >&2
# First without retries: where pip is configured with a local index beside an unreachable PyPI (offline build
# machines), each retry of PyPI backs off for seconds per package (3.5 min in all instead of 3 s). A real network
# hiccup gets the second, retrying attempt.
"$venv_python" -m pip install --disable-pip-version-check --no-input -q --retries 0 --timeout 15 "$spec" >&2 \
    || "$venv_python" -m pip install --disable-pip-version-check --no-input -q "$spec" >&2 \
    || die "pip install $spec failed (is the package index reachable?)"
[ -n "$(installed_version)" ] || die "mcp is not importable from $venv after install"

echo "$venv_python"
