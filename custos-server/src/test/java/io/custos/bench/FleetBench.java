package io.custos.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Benchmark (not a test): the fleet's throughput with 1, 2 and 3 replicas. For each count it starts
 * {@code ./custos demo --fleet --replicas N} (a real PostgreSQL, N replica JVMs, HAProxy; the per-user rate limit
 * raised so that it does not cap the load), drives {@code concurrency} closed-loop clients of MCP 2026-07-28
 * {@code tools/call} (three read tools in turn, the demo clinician, one patient) through the balancer for
 * {@code seconds} after a warm-up, and reports calls/s, latency p50/p99, CPU per call of each replica (from
 * {@code /proc/<pid>/stat}) and PostgreSQL transactions per call ({@code pg_stat_database.xact_commit}). With two or
 * more replicas it then SIGKILLs one under the same load and reports failed calls and the slowest call around it.
 *
 * <p>Arguments: {@code --replicas 1,2,3 --seconds 30 --warmup 10 --concurrency 8 --out DIR}. Run by
 * {@code scripts/bench.sh fleet}. Synthetic Synthea patients only.
 */
public final class FleetBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TOOLS = List.of("get_active_conditions", "get_medications", "get_lab_results");
  private static final long TICKS = 100; // USER_HZ on Linux

  private FleetBench() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    int[] counts = Arrays.stream(a.getOrDefault("replicas", "1,2,3").split(",")).mapToInt(Integer::parseInt).toArray();
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "30"));
    int warmup = Integer.parseInt(a.getOrDefault("warmup", "10"));
    int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "8"));
    Path out = Path.of(a.getOrDefault("out", "bench-results/fleet")).toAbsolutePath();
    Files.createDirectories(out);
    Path root = Path.of(System.getProperty("custos.root", ".")).toAbsolutePath();
    List<String> rows = new ArrayList<>();
    for (int n : counts) {
      Path dir = out.resolve("demo");
      Process demo = new ProcessBuilder(root.resolve("custos").toString(), "demo", "--dir", dir.toString(), "--fleet",
          "--replicas", String.valueOf(n), "--rate-limit", "100000", "--port", "0", "--patients", "3", "--seed", "11")
          .redirectError(out.resolve("demo-" + n + ".log").toFile()).start();
      try {
        awaitReady(demo);
        JsonNode conn = JSON.readTree(dir.resolve("connection.json").toFile());
        rows.add(run(conn, n, seconds, warmup, concurrency));
        BenchMain.log(rows.get(rows.size() - 1));
      } finally {
        demo.destroy();
        demo.waitFor(120, TimeUnit.SECONDS);
      }
    }
    String table = "| replicas | calls/s | p50 ms | p99 ms | CPU ms per call, each replica | PostgreSQL transactions per call"
        + " | after SIGKILL of one replica |\n|---|---|---|---|---|---|---|\n" + String.join("\n", rows) + "\n";
    Files.writeString(out.resolve("fleet.md"), table);
    System.out.print(table);
  }

  private static String run(JsonNode conn, int n, int seconds, int warmup, int concurrency) throws Exception {
    HttpClient http = io.custos.mcp.http.HttpTestSupport.client(
        io.custos.mcp.http.HttpTestSupport.trustOnly(Path.of(conn.path("ca_certificate").asText())));
    URI endpoint = URI.create(conn.path("endpoint").asText());
    String token = conn.path("token").asText();
    String patient = conn.path("patients").get(0).asText();
    List<Long> pids = new ArrayList<>();
    conn.path("replicas").forEach(r -> pids.add(r.path("pid").asLong()));
    load(http, endpoint, token, patient, concurrency, warmup, Long.MAX_VALUE, -1);
    long[] cpu0 = cpu(pids);
    long tx0 = transactions(conn.path("ledger").asText());
    Result r = load(http, endpoint, token, patient, concurrency, seconds, Long.MAX_VALUE, -1);
    long[] cpu1 = cpu(pids);
    long tx1 = transactions(conn.path("ledger").asText());
    StringBuilder perReplica = new StringBuilder();
    for (int i = 0; i < pids.size(); i++) {
      perReplica.append(i == 0 ? "" : " / ").append(String.format("%.2f", (cpu1[i] - cpu0[i]) * 1000.0 / TICKS / r.ok));
    }
    String failover = "n/a";
    if (n >= 2) {
      Result k = load(http, endpoint, token, patient, concurrency, 15, 5, pids.get(n - 1));
      failover = k.failed + " failed of " + (k.ok + k.failed) + ", slowest call " + k.max + " ms";
    }
    return String.format("| %d | %.0f | %.1f | %.1f | %s | %.2f | %s |", n, r.ok / (double) seconds, r.p50, r.p99,
        perReplica, (tx1 - tx0) / (double) r.ok, failover);
  }

  private record Result(int ok, int failed, double p50, double p99, long max) {}

  /** Closed-loop load for {@code seconds}; SIGKILLs {@code killPid} after {@code killAfter} seconds when it is >= 0. */
  private static Result load(HttpClient http, URI endpoint, String token, String patient, int concurrency, int seconds,
      long killAfter, long killPid) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger ids = new AtomicInteger();
    ConcurrentLinkedQueue<Long> micros = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < concurrency; t++) {
      fs.add(pool.submit(() -> {
        while (!stop.get()) {
          int id = ids.incrementAndGet();
          var params = JSON.createObjectNode().put("name", TOOLS.get(id % TOOLS.size()));
          params.putObject("arguments").put("patient_id", patient);
          long start = System.nanoTime();
          HttpResponse<String> resp = http.send(io.custos.mcp.http.HttpTestSupport.stateless(endpoint, id, "tools/call", params)
              .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).build(),
              HttpResponse.BodyHandlers.ofString());
          micros.add((System.nanoTime() - start) / 1000);
          if (resp.statusCode() == 200 && resp.body().contains("\"result\"") && !resp.body().contains("\"isError\":true")) {
            ok.incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
        }
        return null;
      }));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    if (killPid >= 0) {
      Thread.sleep(killAfter * 1000);
      ProcessHandle.of(killPid).ifPresent(ProcessHandle::destroyForcibly);
    }
    Thread.sleep(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
    stop.set(true);
    for (Future<?> f : fs) {
      f.get(2, TimeUnit.MINUTES);
    }
    pool.shutdown();
    List<Long> sorted = new ArrayList<>(micros);
    Collections.sort(sorted);
    double p50 = sorted.get(sorted.size() / 2) / 1000.0;
    double p99 = sorted.get((int) (sorted.size() * 0.99)) / 1000.0;
    return new Result(ok.get(), failed.get(), p50, p99, sorted.get(sorted.size() - 1) / 1000);
  }

  /** utime + stime (clock ticks) of each process. */
  private static long[] cpu(List<Long> pids) throws Exception {
    long[] out = new long[pids.size()];
    for (int i = 0; i < pids.size(); i++) {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pids.get(i)), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      out[i] = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
    return out;
  }

  /** Committed transactions of the fleet's database so far. */
  private static long transactions(String jdbcUrl) throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void awaitReady(Process demo) throws Exception {
    BufferedReader reader = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    for (String line; System.nanoTime() < deadline && (line = reader.readLine()) != null; ) {
      if (line.startsWith("Ready: ")) {
        return;
      }
    }
    throw new IllegalStateException("the demo fleet did not start; see its log");
  }
}
