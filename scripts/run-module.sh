#!/bin/sh
# Runs a main class of a helper module (custos-synthea, custos-devidp) on its own classpath, building
# the module on first use. These modules' dependencies never join the server's classpath.
# Usage: scripts/run-module.sh MODULE MAIN_CLASS [JAVA_OPTS...] -- [ARGS...]
set -eu
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
. "$ROOT/scripts/find-jdk.sh"
MODULE="$ROOT/$1"
MAIN="$2"
shift 2
if [ ! -s "$MODULE/target/classpath.txt" ] || [ ! -d "$MODULE/target/classes/io/custos" ]; then
  echo "custos: building $(basename "$MODULE") (first run)..." >&2
  (cd "$ROOT" && ./mvnw -q -B -pl "$(basename "$MODULE")" -am package -DskipTests) >&2
fi
OPTS=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do OPTS="$OPTS $1"; shift; done
[ $# -gt 0 ] && shift
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $OPTS -cp "$MODULE/target/classes:$(cat "$MODULE/target/classpath.txt")" "$MAIN" "$@"
