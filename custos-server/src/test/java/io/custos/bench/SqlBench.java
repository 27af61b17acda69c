package io.custos.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.custos.sql.LegacyPostgres;
import io.custos.sql.LegacySchema;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * The SQL route against the same statements run directly over JDBC, measured like the FHIR overhead benchmark
 * ({@link BenchMain}): the same load driver, tokens, warm-up, open-loop steps and saturation, three configurations per
 * tool:
 * <ol>
 *   <li>{@code upstream}: the database alone, {@link SqlBaseline} in the driver (a HikariCP pool of Custos's shape, the
 *       MRN lookup and the tool's SELECT), no MCP;</li>
 *   <li>{@code bare}: the bare MCP Java SDK server (same TLS) answering the same statements through the same pool
 *       shape ({@link SqlBaseline#main});</li>
 *   <li>{@code custos}: {@code java -jar custos.jar serve}, oauth mode, the demo's {@code sql} section (the legacy
 *       schema's declared tools and {@code sql_query}), care relationships required, the encrypted Merkle ledger with
 *       group commit.</li>
 * </ol>
 * The tools: {@code legacy_active_diagnoses} (declared) and {@code sql_query} with {@link SqlBaseline#ANALYST_QUERY}
 * (parsed, validated and given the patient's row filter by Custos). The legacy database is embedded PostgreSQL 14
 * (zonky) holding {@link LegacySchema} loaded from the Synthea fixture's CSV export, the same five patients as the FHIR
 * store Custos checks care relationships against ({@link BenchUpstream}, its own JVM); each session's user is the
 * clinician caring for its patient. Server CPU per call is the server process's CPU ({@code bare}, {@code custos});
 * PostgreSQL's CPU per call (the postmaster with its exited backends, and the live backends) is recorded for all three.
 *
 * <p>Writes {@code results.json} (runs, and per tool the ratios of {@link BenchMain#ratios} and the added p50 per
 * rate) and {@code results-<tool>.csv}. Options (defaults): {@code --out DIR --jar PATH --rates 100,200 --fixed-rate 100
 * --step-seconds 20 --warmup-requests 10000 --warmup-seconds 60 --saturation-seconds 20 --concurrency 16 --sessions 20
 * --max-in-flight 256}.
 */
public final class SqlBench {
  private SqlBench() {}

  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results/sql")).toAbsolutePath();
    Path jar = Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath();
    double[] rates = Arrays.stream(a.getOrDefault("rates", "100,200").split(",")).mapToDouble(Double::parseDouble).toArray();
    double fixedRate = Double.parseDouble(a.getOrDefault("fixed-rate", "100"));
    Duration step = Duration.ofSeconds(Long.parseLong(a.getOrDefault("step-seconds", "20")));
    Duration warmup = Duration.ofSeconds(Long.parseLong(a.getOrDefault("warmup-seconds", "60")));
    long warmupRequests = Long.parseLong(a.getOrDefault("warmup-requests", "10000"));
    Duration saturation = Duration.ofSeconds(Long.parseLong(a.getOrDefault("saturation-seconds", "20")));
    int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "16"));
    int sessions = Integer.parseInt(a.getOrDefault("sessions", "20"));
    int maxInFlight = Integer.parseInt(a.getOrDefault("max-in-flight", "256"));
    Files.createDirectories(out);
    Map<String, Object> meta = BenchMain.meta(argv);
    BenchMain.log("sql start " + meta);
    Map<SqlBaseline.Query, List<BenchMain.Row>> rows = new EnumMap<>(SqlBaseline.Query.class);
    MockOAuth2Server oauth = new MockOAuth2Server();
    try (LegacyPostgres legacy = LegacyPostgres.start(out);
        BenchProcess upstream = BenchMain.startUpstream(out, System.getProperty("java.class.path"))) {
      oauth.start(InetAddress.getByName("127.0.0.1"), 0);
      List<BenchUsers.Pair> pairs = BenchUsers.pairs();
      List<String> pairTokens = BenchUsers.tokens(oauth, pairs);
      Target.Mix mix = new Target.Mix(pairs.stream().map(BenchUsers.Pair::patientId).toList());
      List<String> sessionTokens = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        sessionTokens.add(pairTokens.get(i % pairTokens.size()));
      }
      String sql = legacy.configSection();
      try (BenchProcess custos = BenchMain.startCustos(out.resolve("custos"), jar, upstream.ready, oauth,
              out.resolve("logs/custos.log"), sql);
          BenchProcess bare = startBare(out, legacy);
          SqlBaseline direct = new SqlBaseline(legacy.jdbcUrl(), LegacyPostgres.READER, legacy.password())) {
        BenchMain.log("custos " + custos.ready + ", bare " + bare.ready);
        McpBenchClient custosClient = new McpBenchClient(McpBenchClient.client(out.resolve("custos/data/tls/certificate.pem")),
            URI.create(custos.ready));
        McpBenchClient bareClient = new McpBenchClient(McpBenchClient.client(out.resolve("bare/tls/certificate.pem")),
            URI.create(bare.ready));
        List<McpBenchClient.Session> custosSessions = Target.Mcp.open(custosClient, sessionTokens);
        List<McpBenchClient.Session> bareSessions = Target.Mcp.open(bareClient, sessionTokens);
        Map<String, LongSupplier> serverCpu = Map.of("upstream", () -> 0L, "bare", bare::cpuMillis, "custos", custos::cpuMillis);
        Map<SqlBaseline.Query, List<Target>> targets = new EnumMap<>(SqlBaseline.Query.class);
        for (SqlBaseline.Query q : SqlBaseline.Query.values()) {
          targets.put(q, List.of(direct.target(q, mix, Math.max(maxInFlight, concurrency)),
              new Target.Mcp("bare", bareClient, bareSessions, mix, q.tool, q::arguments),
              new Target.Mcp("custos", custosClient, custosSessions, mix, q.tool, q::arguments)));
        }
        // Every tool of every configuration warm before the first measurement: the JIT sees both tools' code paths.
        for (var e : targets.entrySet()) {
          for (Target t : e.getValue()) {
            BenchMain.log("warmup " + e.getKey().tool + " " + LoadDriver.closed(t, 4, warmup, warmupRequests).summary());
          }
        }
        for (var e : targets.entrySet()) {
          List<BenchMain.Row> measured = new ArrayList<>();
          // Configurations interleaved per rate, so drift in the machine's load falls on all three alike.
          for (double rate : rates) {
            for (Target t : e.getValue()) {
              measured.add(BenchMain.measure(() -> LoadDriver.open(t, rate, step, Long.MAX_VALUE, maxInFlight),
                  serverCpu.get(t.name()), () -> postgresCpuMillis(legacy)));
            }
          }
          for (Target t : e.getValue()) {
            measured.add(BenchMain.measure(() -> LoadDriver.closed(t, concurrency, saturation, Long.MAX_VALUE),
                serverCpu.get(t.name()), () -> postgresCpuMillis(legacy)));
          }
          e.getValue().get(0).close();
          rows.put(e.getKey(), measured);
        }
        custosSessions.forEach(custosClient::close);
        bareSessions.forEach(bareClient::close);
      }
    } finally {
      oauth.shutdown();
    }
    meta.put("loadAvgEnd", BenchMain.loadAvg());
    write(out, meta, rows, rates, fixedRate);
  }

  /** The bare SDK server over the legacy database ({@link SqlBaseline#main}), its own JVM. */
  private static BenchProcess startBare(Path out, LegacyPostgres legacy) throws IOException, InterruptedException {
    Path dir = out.resolve("bare");
    BenchMain.deleteTree(dir);
    return BenchProcess.start("bare", BenchMain.cmd(List.of("-cp", System.getProperty("java.class.path"),
        SqlBaseline.class.getName(), legacy.jdbcUrl(), LegacyPostgres.READER, legacy.passwordFile().toString(), dir.toString())),
        Pattern.compile("^READY (\\S+)"), out.resolve("logs/bare.log"), Duration.ofMinutes(3));
  }

  /**
   * PostgreSQL's CPU so far, in milliseconds: the postmaster's own and that of its exited children (backends it has
   * reaped), plus each live backend's; -1 when it cannot be read.
   */
  static long postgresCpuMillis(LegacyPostgres legacy) {
    try {
      long pid = Long.parseLong(Files.readAllLines(legacy.dataDir().resolve("postmaster.pid")).get(0).strip());
      long ticks = ticks(pid, true);
      for (ProcessHandle child : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
        ticks += ticks(child.pid(), false);
      }
      return ticks * 1000 / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime of {@code pid} (and, with {@code reaped}, cutime + cstime), in clock ticks; 0 once it is gone. */
  private static long ticks(long pid, boolean reaped) {
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // Fields 14-17 of proc(5), counted from the state field (3): utime, stime, cutime, cstime.
      long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return reaped ? t + Long.parseLong(f[13]) + Long.parseLong(f[14]) : t;
    } catch (IOException e) {
      return 0;
    }
  }

  private static void write(Path out, Map<String, Object> meta, Map<SqlBaseline.Query, List<BenchMain.Row>> rows,
      double[] rates, double fixedRate) throws IOException {
    Map<String, Object> summary = new LinkedHashMap<>();
    List<BenchMain.Row> all = new ArrayList<>();
    for (var e : rows.entrySet()) {
      List<BenchMain.Row> r = e.getValue();
      Map<String, Object> s = BenchMain.ratios(r, fixedRate);
      s.put("perRate", perRate(r, rates));
      summary.put(e.getKey().tool, s);
      all.addAll(r);
      Files.writeString(out.resolve("results-" + e.getKey().tool + ".csv"), BenchMain.csv(r, "off"));
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("meta", meta);
    json.put("summary", summary);
    json.put("runs", all);
    var mapper = McpBenchClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT);
    mapper.writeValue(out.resolve("results.json").toFile(), json);
    BenchMain.log("sql summary " + mapper.writeValueAsString(summary));
  }

  /**
   * Per offered rate and at saturation: p50 and p99 of each configuration, Custos's added p50 over the bare server and
   * over the database alone, and server and PostgreSQL CPU per call.
   */
  private static List<Map<String, Object>> perRate(List<BenchMain.Row> rows, double[] rates) {
    List<Map<String, Object>> out = new ArrayList<>();
    List<Double> steps = new ArrayList<>(Arrays.stream(rates).boxed().toList());
    steps.add(0.0); // saturation (closed loop)
    for (double rate : steps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("offeredRps", rate == 0 ? "saturation" : rate);
      Map<String, BenchMain.Row> by = new LinkedHashMap<>();
      for (BenchMain.Row row : rows) {
        boolean closed = row.result().mode().equals("closed");
        if (rate == 0 ? closed : !closed && row.result().offeredRps() == rate) {
          by.put(row.result().target(), row);
        }
      }
      by.forEach((target, row) -> {
        long calls = Math.max(1, row.result().ok() + row.result().errors());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("p50Ms", row.result().p50());
        t.put("p99Ms", row.result().p99());
        t.put("throughputRps", row.result().throughputRps());
        t.put("errors", row.result().errors());
        t.put("serverCpuMsPerCall", round((double) row.serverCpuMs() / calls));
        t.put("postgresCpuMsPerCall", round((double) row.upstreamCpuMs() / calls));
        t.put("loadAvg", row.loadAvg());
        m.put(target, t);
      });
      if (by.containsKey("custos") && by.containsKey("bare") && by.containsKey("upstream")) {
        m.put("addedP50OverBareMs", round(by.get("custos").result().p50() - by.get("bare").result().p50()));
        m.put("addedP50OverJdbcMs", round(by.get("custos").result().p50() - by.get("upstream").result().p50()));
        m.put("p99OverBare", round(by.get("custos").result().p99() / by.get("bare").result().p99()));
      }
      out.add(m);
    }
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
