#!/bin/sh
# Performance benchmarks. Not part of `./mvnw verify` (which runs only a 50-request smoke test and a one-minute soak).
#
#   scripts/bench.sh overhead [options]   upstream alone vs bare MCP SDK server vs Custos (one run), heap with
#                                         1,000 open sessions -> bench-results/overhead/
#   scripts/bench.sh soak [options]       Custos at a fixed open-loop rate for a long run, its RSS and heap sampled every
#                                         10 s, verdict (no error, flat retained heap, flat RSS) -> bench-results/soak/
#   scripts/bench.sh stdio [options]      per-call latency over stdio: bare MCP SDK stdio server vs `custos serve --stdio`
#                                         -> bench-results/stdio/
#   scripts/bench.sh eras [options]       per-call latency and server CPU of the two protocol fronts of one Custos:
#                                         MCP 2025-11-25 (session) vs 2026-07-28 (stateless) -> bench-results/eras/
#   scripts/bench.sh coldstart [runs]     `./custos serve` (class-data cache) and `java -jar custos.jar serve` to /readyz 200
#                                         -> bench-results/coldstart/
#   scripts/bench.sh jmh [JMH regexp]     JMH micro-benchmarks (token, policy, filter, de-id, ledger) -> bench-results/jmh/
#   scripts/bench.sh all                  all three
#   scripts/bench.sh scaling [options]    per-call latency and CPU with 20 / 1,000 / 10,000 patients in the upstream, then
#                                         heap and time to open 1,000 / 10,000 MCP sessions (Custos vs bare SDK)
#                                         -> bench-results/scaling/ (tables in scaling.md, plot scaling.svg)
#   scripts/bench.sh ledger-scaling [options]  ledger append time and `custos audit verify` at 10^3 / 10^6 / 10^7 entries
#                                         -> bench-results/scaling/ (scratch ledger deleted afterwards)
#   scripts/bench.sh fleet-ledger [options]  durable appends/s to one PostgreSQL ledger from 1, 2 and 3 replicas,
#                                         transactions per append, offline verification -> bench-results/fleet-ledger/
#   scripts/bench.sh fleet [options]      calls/s, latency, CPU per call per replica and PostgreSQL transactions per call
#                                         of `custos demo --fleet --replicas 1|2|3` behind HAProxy, and a SIGKILL under
#                                         load -> bench-results/fleet/
#   scripts/bench.sh sql [options]        the SQL route: the database alone over JDBC vs the bare MCP SDK server vs Custos
#                                         (legacy_active_diagnoses and sql_query), latency and CPU per call
#                                         -> bench-results/sql/
#
# overhead options (defaults): --rates 25,50,100,200,300 --fixed-rate 100 --step-seconds 20 --warmup-requests 15000 --warmup-seconds 150
#   --saturation-seconds 30 --concurrency 16 --sessions 20 --heap-sessions 1000 --max-in-flight 256 [--disk-contention]
#   --upstream embedded (the embedded FHIR store) | jpa (the HAPI FHIR JPA server of module custos-jpastore)
# scaling options (defaults): --patients 20,1000,10000 --rate 50 --step-seconds 30 --warmup-requests 3000 --sessions 1000,10000
#   --types Encounter,Condition,CareTeam (patient-bundle types kept in the grown population) --skip patients|sessions
# ledger-scaling options (defaults): --sizes 1000,1000000,10000000 --threads 64 --window 10000 --block 100000
# fleet-ledger options (defaults): --replicas 1,2,3 --threads 16 (appender threads per replica) --seconds 20
# fleet options (defaults): --replicas 1,2,3 --seconds 30 --warmup 10 --concurrency 8
# sql options (defaults): --rates 100,200 --fixed-rate 100 --step-seconds 20 --warmup-requests 10000 --warmup-seconds 60
#   --saturation-seconds 20 --concurrency 16 --sessions 20 --max-in-flight 256
# soak options (defaults): --minutes 30 --rate (half a 20 s saturation run) --settle-minutes 5 (at that rate, before the
#   retained-heap baseline) --interval-seconds 10 --warmup-seconds 60
#   --warmup-requests 6000 --heap-growth-percent 10 --heap-growth-floor-mib 16 --rss-slope-mib-per-min 1 [--disk-contention]
# stdio options (defaults): --calls 3000 --warmup-calls 3000
# eras options (defaults): --rounds 10 --block 300 --warmup-calls 3000
# --disk-contention: a writer thread writes 4 KiB-1 MiB blocks and fsyncs each, without pause, in a scratch file beside
#   Custos's ledger (same file system) while the steps run.
# Environment: BENCH_SERVER_JVM (server JVM flags, default "-Xms256m -Xmx1g -XX:+UseG1GC"), SOAK_SERVER_JVM (the soak's,
#   default "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseG1GC": a fixed, pre-touched heap, so RSS moves only with
#   memory outside the heap and heap resizing under a backlog is not read as growth),
#   MVN_FLAGS (e.g. -o for offline builds).
set -eu
cd "$(dirname "$0")/.."
. scripts/find-jdk.sh
JAVA="$JAVA_HOME/bin/java"
mode="${1:-all}"
[ $# -gt 0 ] && shift
OUT=bench-results
mkdir -p "$OUT"

echo "bench: building (package, tests compiled but not run)" >&2
# -am: the tests' FHIR store (custos-devstore, test scope) is built in the same reactor; the server's class path is
# written last, so it is the one in the output file.
./mvnw -q ${MVN_FLAGS:-} -pl custos-server -am -DskipTests package dependency:build-classpath \
  -Dmdep.outputFile="$PWD/$OUT/test-classpath.txt" -Dmdep.includeScope=test >/dev/null
# --upstream jpa: the JPA server runs from its own packaged jar and class path.
case " $* " in *" --upstream jpa "*) ./mvnw -q ${MVN_FLAGS:-} -pl custos-jpastore -am -DskipTests package >/dev/null ;; esac
CP="custos-server/target/test-classes:custos-server/target/classes:$(cat "$OUT/test-classpath.txt")"
SERVER_JVM="${BENCH_SERVER_JVM:--Xms256m -Xmx1g -XX:+UseG1GC}"

machine() {
  disk=off
  for arg in "$@"; do
    [ "$arg" = --disk-contention ] && disk=on
  done
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ) nproc=$(nproc) jdk=$("$JAVA" -version 2>&1 | head -n 2 | tail -n 1) loadavg=$(cut -d' ' -f1-3 /proc/loadavg) disk_contention=$disk"
}

# run_driver NAME CLASS SERVER_JVM [options]: one driver class against custos.jar -> $OUT/NAME (machine.txt, driver.log)
run_driver() {
  name=$1 class=$2 jvm=$3
  shift 3
  mkdir -p "$OUT/$name"
  machine "$@" | tee "$OUT/$name/machine.txt"
  "$JAVA" -Xmx1g -Dbench.serverJvm="$jvm" -cp "$CP" "io.custos.bench.$class" --out "$OUT/$name" \
    --jar custos-server/target/custos.jar "$@" 2>&1 | tee "$OUT/$name/driver.log"
}

run_overhead() { run_driver overhead BenchMain "$SERVER_JVM" "$@"; }
run_soak() { run_driver soak Soak "${SOAK_SERVER_JVM:--Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseG1GC}" "$@"; }
run_stdio() { run_driver stdio StdioBench "$SERVER_JVM" "$@"; }
run_eras() { run_driver eras EraBench "$SERVER_JVM" "$@"; }
run_sql() { run_driver sql SqlBench "$SERVER_JVM" "$@"; }




run_coldstart() {
  mkdir -p "$OUT/coldstart"
  machine | tee "$OUT/coldstart/machine.txt"
  # The product launch (./custos: its JVM flags and class-data cache), then a plain `java -jar` without a cache.
  "$JAVA" -cp "$CP" io.custos.bench.ColdStart --out "$OUT/coldstart/launcher" --launcher ./custos \
    --jar custos-server/target/custos.jar --runs "${1:-10}" 2>&1 | tee "$OUT/coldstart/launcher.log"
  "$JAVA" -Dbench.serverJvm="$SERVER_JVM" -cp "$CP" io.custos.bench.ColdStart --out "$OUT/coldstart/jar" \
    --jar custos-server/target/custos.jar --runs "${1:-10}" 2>&1 | tee "$OUT/coldstart/jar.log"
}

run_jmh() {
  mkdir -p "$OUT/jmh"
  machine | tee "$OUT/jmh/machine.txt"
  # Fork 1, 2 x 3 s warm-up, 3 x 5 s measurement: average time per operation, single thread (the ledger append
  # benchmark is throughput with 64 threads, as in the ledger figures).
  "$JAVA" -cp "$CP" org.openjdk.jmh.Main "${1:-TokenValidationBenchmark|PolicyDecisionBenchmark|ElementFilterBenchmark|DeIdentifyBenchmark}" \
    -f 1 -wi 2 -w 3s -i 3 -r 5s -rf json -rff "$OUT/jmh/jmh.json" 2>&1 | tee "$OUT/jmh/jmh.log"
  [ -n "${1:-}" ] && return 0
  # Ledger (ledger figures): durable appends with 64 appender threads, then `custos audit verify` on the result.
  rm -rf "$OUT/jmh/ledger-bench"
  "$JAVA" -cp "$CP" org.openjdk.jmh.Main LedgerAppendBenchmark -f 1 -wi 1 -w 5s -i 3 -r 10s -t 64 \
    -jvmArgs "-Dledger.bench.dir=$PWD/$OUT/jmh/ledger-bench" -rf json -rff "$OUT/jmh/ledger-append.json" 2>&1 \
    | tee "$OUT/jmh/ledger-append.log"
  for i in 1 2 3; do
    echo "verify run $i loadavg=$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/jmh/ledger-verify.log"
    "$JAVA" -cp "$CP" io.custos.cli.CustosCli audit verify --ledger "$OUT/jmh/ledger-bench/ledger" 2>&1 \
      | tail -n 5 | tee -a "$OUT/jmh/ledger-verify.log"
  done
}

run_scaling() {
  mkdir -p "$OUT/scaling"
  machine | tee "$OUT/scaling/machine.txt"
  "$JAVA" -Xmx2g -Dbench.serverJvm="$SERVER_JVM" -cp "$CP" io.custos.bench.ScalingMain --out "$OUT/scaling" \
    --jar custos-server/target/custos.jar "$@" 2>&1 | tee "$OUT/scaling/driver.log"
  "$JAVA" -cp "$CP" io.custos.bench.ScalingReport "$OUT/scaling"
}

run_ledger_scaling() {
  mkdir -p "$OUT/scaling"
  machine | tee "$OUT/scaling/ledger-machine.txt"
  "$JAVA" -Xmx2g -cp "$CP" io.custos.bench.LedgerScaling --dir "$OUT/scaling/ledger-data" \
    --out "$OUT/scaling/ledger.json" "$@" 2>&1 | tee "$OUT/scaling/ledger.log"
  rm -rf "$OUT/scaling/ledger-data"
  "$JAVA" -cp "$CP" io.custos.bench.ScalingReport "$OUT/scaling"
}

run_fleet_ledger() {
  mkdir -p "$OUT/fleet-ledger"
  machine | tee "$OUT/fleet-ledger/machine.txt"
  # 1, 2 and 3 replicas appending to one PostgreSQL ledger (embedded PostgreSQL 14), then an offline verification.
  "$JAVA" -Xmx1g -cp "$CP" io.custos.audit.ledger.FleetLedgerBench "$@" 2>&1 | tee "$OUT/fleet-ledger/driver.log"
}

run_fleet() {
  mkdir -p "$OUT/fleet"
  machine | tee "$OUT/fleet/machine.txt"
  "$JAVA" -Xmx1g -Dcustos.root="$PWD" -cp "$CP" io.custos.bench.FleetBench --out "$OUT/fleet" "$@" 2>&1 \
    | tee "$OUT/fleet/driver.log"
}

case "$mode" in
  overhead) run_overhead "$@" ;;
  soak) run_soak "$@" ;;
  stdio) run_stdio "$@" ;;
  eras) run_eras "$@" ;;
  coldstart) run_coldstart "$@" ;;
  jmh) run_jmh "$@" ;;
  all) run_coldstart; run_jmh; run_overhead ;;
  scaling) run_scaling "$@" ;;
  ledger-scaling) run_ledger_scaling "$@" ;;
  fleet-ledger) run_fleet_ledger "$@" ;;
  fleet) run_fleet "$@" ;;
  sql) run_sql "$@" ;;
  *) echo "usage: scripts/bench.sh overhead|soak|stdio|eras|sql|coldstart|jmh|all|scaling|ledger-scaling|fleet-ledger|fleet [options]" >&2; exit 2 ;;
esac
