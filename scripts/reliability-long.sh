#!/bin/sh
# Long forms of the reliability suites. Each part can be run alone:
#   scripts/reliability-long.sh crash [CYCLES]     SIGKILL-under-load cycles (default 60) against the packaged jar
#   scripts/reliability-long.sh fuzz               every Jazzer @FuzzTest in fuzzing mode (5 minutes each, @FuzzTest maxDuration)
#   scripts/reliability-long.sh                    both
# Results: custos-server/target/reliability-logs/crash-summary.txt, custos-server/target/fuzz-*.log
set -e
cd "$(dirname "$0")/.."
part=${1:-all}
if [ "$part" = crash ] || [ "$part" = all ]; then
  cycles=${2:-60}
  ./mvnw -q -pl custos-server -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test=CrashRecoveryIT -Dcustos.long=true -Dcustos.crash.cycles="$cycles"
  cat custos-server/target/reliability-logs/crash-summary.txt
fi
if [ "$part" = fuzz ] || [ "$part" = all ]; then
  ./mvnw -q -pl custos-server -am test-compile
  for t in JsonRpcFuzzTest BearerTokenFuzzTest ToolArgumentsFuzzTest DeIdentifierFuzzTest; do
    # test-compile in the same run resolves the tests' FHIR store (custos-devstore) from the reactor.
    JAZZER_FUZZ=1 ./mvnw -q -o -pl custos-server -am test-compile surefire:test@fuzz-regression -Dtest="$t" \
      -Dsurefire.failIfNoSpecifiedTests=false \
      > "custos-server/target/fuzz-$t.log" 2>&1 || { echo "fuzz $t FAILED: custos-server/target/fuzz-$t.log"; exit 1; }
    echo "fuzz $t: ok"
  done
fi
