#!/bin/sh
# Generates synthetic FHIR R4 patients with Synthea 3.3.0, offline and deterministically.
# Usage: scripts/synthea.sh --patients N --seed S --out DIR [--state NAME] [--years-of-history Y]
#                           [--only-alive] [--verbose]
# Builds custos-synthea on first use. Relative --out paths are relative to the caller's cwd.
# Progress goes to stderr; bundles land flat in DIR/*.json. Exit 2 = bad arguments.
set -eu
exec "$(dirname -- "$0")/run-module.sh" custos-synthea io.custos.synthea.SyntheaRunner ${SYNTHEA_JAVA_OPTS:--Xmx1g} -- "$@"
