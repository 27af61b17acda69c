#!/bin/sh
# Generates synthetic FHIR R4 patients with Synthea 3.3.0, offline and deterministically.
# Usage: scripts/synthea.sh --patients N --seed S --out DIR [--state NAME] [--years-of-history Y]
#                           [--only-alive] [--verbose]
# Builds custos-synthea on first use. Relative --out paths are relative to the caller's cwd.
# Progress goes to stderr; bundles land flat in DIR/*.json. Exit 2 = bad arguments.
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
. "$ROOT/scripts/find-jdk.sh"
MODULE="$ROOT/custos-synthea"
if [ ! -s "$MODULE/target/classpath.txt" ] || [ ! -d "$MODULE/target/classes/io/custos/synthea" ]; then
  echo "synthea: building custos-synthea (first run)..." >&2
  (cd "$ROOT" && ./mvnw -q -B -pl custos-synthea -am package -DskipTests) >&2
fi
exec "$JAVA_HOME/bin/java" ${SYNTHEA_JAVA_OPTS:--Xmx1g} \
  -cp "$MODULE/target/classes:$(cat "$MODULE/target/classpath.txt")" \
  io.custos.synthea.SyntheaRunner "$@"
