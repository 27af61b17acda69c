package io.custos.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * Per-call cost of the two protocol fronts of one Custos server: {@code tools/call get_active_conditions} as an MCP
 * 2025-11-25 session request (the SDK front) and as an MCP 2026-07-28 stateless request (the envelope front), both over
 * HTTPS to the same {@code java -jar custos.jar serve} (oauth mode, full pipeline and durable audit) and the same
 * upstream ({@link BenchUpstream}, its own JVM).
 *
 * <p>Closed loop, one call in flight. After {@code --warmup-calls} calls of each era, {@code --rounds} rounds of
 * {@code --block} calls per era, the era order swapped each round, so drift in the machine's load falls on both alike;
 * the server's CPU time is read before and after each block. A call counts only if its result has {@code isError}
 * false. Writes {@code results.json}; the summary gives each era's median and p99 latency and server CPU per call.
 *
 * <p>Options (defaults): {@code --out DIR --jar PATH --rounds 10 --block 300 --warmup-calls 3000}.
 */
public final class EraBench {
  private EraBench() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results/eras")).toAbsolutePath();
    Path jar = Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath();
    int rounds = Integer.parseInt(a.getOrDefault("rounds", "10"));
    int block = Integer.parseInt(a.getOrDefault("block", "300"));
    int warmupCalls = Integer.parseInt(a.getOrDefault("warmup-calls", "3000"));
    Files.createDirectories(out);
    Map<String, Object> meta = BenchMain.meta(argv);
    BenchMain.log("eras start " + meta);
    MockOAuth2Server oauth = new MockOAuth2Server();
    Map<String, Object> summary = new LinkedHashMap<>();
    List<LoadDriver.Result> results = new ArrayList<>();
    try (BenchProcess upstream = BenchMain.startUpstream(out, System.getProperty("java.class.path"))) {
      oauth.start(InetAddress.getByName("127.0.0.1"), 0);
      try (BenchProcess custos = BenchMain.startCustos(out.resolve("custos"), jar, upstream.ready, oauth,
          out.resolve("logs/custos.log"))) {
        McpBenchClient client = new McpBenchClient(McpBenchClient.client(out.resolve("custos/data/tls/certificate.pem")),
            java.net.URI.create(custos.ready));
        BenchUsers.Pair pair = BenchUsers.pairs().get(0);
        String token = BenchUsers.token(oauth, pair.practitionerId());
        String arguments = "{\"patient_id\":\"" + pair.patientId() + "\"}";
        McpBenchClient.Session session = client.open(token);
        List<String> names = List.of("2025-11-25", "2026-07-28");
        List<Callable<String>> calls = List.of(
            () -> client.callTool(session, "get_active_conditions", arguments).get(),
            () -> client.callToolStateless(token, "get_active_conditions", arguments).get());
        for (int k = 0; k < 2; k++) {
          LoadDriver.Intervals warm = new LoadDriver.Intervals();
          long t0 = System.nanoTime();
          for (int i = 0; i < warmupCalls; i++) {
            long s = System.nanoTime();
            warm.record(s, calls.get(k).call());
          }
          BenchMain.log("warmup " + warm.next(names.get(k), "closed", 0, 1, (System.nanoTime() - t0) / 1e9).summary());
        }
        List<LoadDriver.Intervals> sinks = List.of(new LoadDriver.Intervals(), new LoadDriver.Intervals());
        long[] busyNanos = new long[2];
        long[] cpuMillis = new long[2];
        String load = BenchMain.loadAvg();
        for (int r = 0; r < rounds; r++) {
          for (int j = 0; j < 2; j++) {
            int k = (r + j) % 2;
            long c0 = custos.cpuMillis();
            for (int i = 0; i < block; i++) {
              long s = System.nanoTime();
              sinks.get(k).record(s, calls.get(k).call());
              busyNanos[k] += System.nanoTime() - s;
            }
            cpuMillis[k] += custos.cpuMillis() - c0;
          }
        }
        meta.put("loadAvgMeasured", load + " -> " + BenchMain.loadAvg());
        for (int k = 0; k < 2; k++) {
          LoadDriver.Result res = sinks.get(k).next(names.get(k), "closed", 0, 1, busyNanos[k] / 1e9);
          BenchMain.log(res.summary());
          results.add(res);
          Map<String, Object> era = new LinkedHashMap<>();
          era.put("calls", res.ok());
          era.put("errors", res.errors());
          era.put("p50Ms", res.p50());
          era.put("p99Ms", res.p99());
          era.put("serverCpuMsPerCall", round((double) cpuMillis[k] / Math.max(1, res.ok() + res.errors())));
          summary.put(names.get(k), era);
        }
        summary.put("addedP50Ms2026", round(results.get(1).p50() - results.get(0).p50()));
      }
    } finally {
      oauth.shutdown();
    }
    meta.put("loadAvgEnd", BenchMain.loadAvg());
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("meta", meta);
    all.put("summary", summary);
    all.put("runs", results);
    Files.writeString(out.resolve("results.json"),
        McpBenchClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(all));
    BenchMain.log("eras summary " + summary);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
