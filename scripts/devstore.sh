#!/bin/sh
# DEMO ONLY: starts the development FHIR R4 store (in-memory, 127.0.0.1) over a directory of Synthea bundles.
# Usage: scripts/devstore.sh --data DIR [--reference ISO-8601] [--schedule-start ISO-8601|now] [--port P]
# Prints {"base_url": ...} on standard output once it serves; logs go to standard error.
set -eu
exec "$(dirname -- "$0")/run-module.sh" custos-devstore io.custos.fhir.store.DevStore ${DEVSTORE_JAVA_OPTS:--Xmx1g} -- "$@"
