package io.custos.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.custos.e2e.JpaFhirServer;
import io.custos.phi.SyntheaFixture;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * The overhead benchmark: one run, same machine, same upstream, same tool, three configurations:
 * <ol>
 *   <li>{@code upstream}: the FHIR search alone through the HAPI client (no MCP);</li>
 *   <li>{@code bare}: the bare MCP Java SDK server ({@link BareSdkServer}) doing that search in one tool;</li>
 *   <li>{@code custos}: Custos from its jar ({@code java -jar custos.jar serve}), oauth mode, full pipeline.</li>
 * </ol>
 * Each server runs in its own JVM (same flags), so CPU and heap are per server. Phases: warm-up; open loop at each
 * offered rate (configurations interleaved per rate, so load drift on a shared machine hits all three alike);
 * closed loop at saturation; then heap with N open MCP sessions. Writes {@code results.json}, {@code results.csv},
 * {@code latency.svg} and {@code summary.txt} to the output directory.
 *
 * <p>Run via {@code scripts/bench.sh}; options: {@code --out DIR --jar PATH --rates 50,100,200 --fixed-rate R
 * --step-seconds S --warmup-requests N --warmup-seconds S --saturation-seconds S --concurrency N --sessions N --heap-sessions N
 * --max-in-flight N --upstream embedded|jpa --disk-contention} (the last: {@link DiskContention} beside Custos's ledger
 * during the measured steps, recorded in {@code results.json} and {@code results.csv}).
 */
public final class BenchMain {
  private BenchMain() {}

  /** The FHIR upstream all three configurations share ({@code --upstream embedded|jpa}). */
  enum Upstream {
    /** The embedded FHIR store ({@link BenchUpstream}), with the JVM flags of the servers. */
    EMBEDDED,
    /** The HAPI FHIR JPA server ({@code custos-jpastore}, H2 database, 1 GiB heap), loaded with the same fixture. */
    JPA
  }

  /** One measured run with resource use. */
  record Row(LoadDriver.Result result, long serverCpuMs, long upstreamCpuMs, long driverCpuMs, String loadAvg) {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results")).toAbsolutePath();
    Path jar = Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath();
    double[] rates = Arrays.stream(a.getOrDefault("rates", "25,50,100,200,300").split(",")).mapToDouble(Double::parseDouble).toArray();
    double fixedRate = Double.parseDouble(a.getOrDefault("fixed-rate", "100"));
    Duration step = Duration.ofSeconds(Long.parseLong(a.getOrDefault("step-seconds", "20")));
    Duration warmup = Duration.ofSeconds(Long.parseLong(a.getOrDefault("warmup-seconds", "150")));
    long warmupRequests = Long.parseLong(a.getOrDefault("warmup-requests", "15000"));
    Duration saturation = Duration.ofSeconds(Long.parseLong(a.getOrDefault("saturation-seconds", "30")));
    int concurrency = Integer.parseInt(a.getOrDefault("concurrency", "16"));
    int sessionsPerTarget = Integer.parseInt(a.getOrDefault("sessions", "20"));
    int heapSessions = Integer.parseInt(a.getOrDefault("heap-sessions", "1000"));
    int maxInFlight = Integer.parseInt(a.getOrDefault("max-in-flight", "256"));
    Upstream upstreamKind = Upstream.valueOf(a.getOrDefault("upstream", "embedded").toUpperCase(Locale.ROOT));
    boolean diskContention = a.containsKey("disk-contention");
    Files.createDirectories(out);
    String cp = System.getProperty("java.class.path");
    Map<String, Object> meta = meta(argv);
    meta.put("diskContention", "off");
    log("start " + meta);

    List<BenchProcess> procs = new ArrayList<>();
    MockOAuth2Server oauth = new MockOAuth2Server();
    List<Row> rows = new ArrayList<>();
    Map<String, Object> heap = new LinkedHashMap<>();
    try {
      // Upstream (shared by all three configurations).
      BenchProcess upstream = upstreamKind == Upstream.JPA
          ? BenchProcess.start("upstream", JpaFhirServer.command(Path.of("").toAbsolutePath(), SyntheaFixture.directory(),
              SyntheaFixture.REFERENCE), Pattern.compile("\"base_url\":\"([^\"]+)\""), out.resolve("logs/upstream.log"),
              Duration.ofMinutes(8))
          : startUpstream(out, cp);
      procs.add(upstream);
      String fhirBase = upstream.ready;
      log("upstream " + fhirBase);

      oauth.start(InetAddress.getByName("127.0.0.1"), 0);
      List<BenchUsers.Pair> pairs = BenchUsers.pairs();
      List<String> pairTokens = BenchUsers.tokens(oauth, pairs);
      Target.Mix mix = new Target.Mix(pairs.stream().map(BenchUsers.Pair::patientId).toList());
      log("users " + pairs.size() + " patients, " + pairTokens.stream().distinct().count() + " practitioners");

      // Custos, from its jar, oauth mode, full pipeline.
      Path custosDir = out.resolve("custos");
      BenchProcess custos = startCustos(custosDir, jar, fhirBase, oauth, out.resolve("logs/custos.log"));
      procs.add(custos);
      log("custos " + custos.ready);

      Path bareDir = out.resolve("bare");
      deleteTree(bareDir);
      BenchProcess bare = BenchProcess.start("bare", cmd(List.of("-cp", cp, BareSdkServer.class.getName(), fhirBase,
          bareDir.toString())), Pattern.compile("^READY (\\S+)"), out.resolve("logs/bare.log"), Duration.ofMinutes(3));
      procs.add(bare);
      log("bare " + bare.ready);

      List<String> sessionTokens = new ArrayList<>();
      for (int i = 0; i < sessionsPerTarget; i++) {
        sessionTokens.add(pairTokens.get(i % pairTokens.size()));
      }
      McpBenchClient custosClient = new McpBenchClient(McpBenchClient.client(custosDir.resolve("data/tls/certificate.pem")),
          URI.create(custos.ready));
      McpBenchClient bareClient = new McpBenchClient(McpBenchClient.client(bareDir.resolve("tls/certificate.pem")),
          URI.create(bare.ready));
      Target tUpstream = new Target.Fhir(fhirBase, mix, Math.max(maxInFlight, concurrency));
      Target tBare = new Target.Mcp("bare", bareClient, Target.Mcp.open(bareClient, sessionTokens), mix, "get_active_conditions");
      Target tCustos = new Target.Mcp("custos", custosClient, Target.Mcp.open(custosClient, sessionTokens), mix,
          "get_active_conditions");
      List<Target> targets = List.of(tUpstream, tBare, tCustos);
      Map<String, BenchProcess> serverOf = Map.of("upstream", upstream, "bare", bare, "custos", custos);

      // Warm-up until the JIT has seen enough calls: warmupRequests per configuration, bounded by warmup seconds.
      for (Target t : targets) {
        LoadDriver.Result w = LoadDriver.closed(t, 4, warmup, warmupRequests);
        log("warmup " + w.summary());
      }
      // With --disk-contention, a writer fsyncs beside Custos's ledger (same file system) through every measured step.
      Optional<DiskContention> disk = diskContention ? Optional.of(DiskContention.start(custosDir.resolve("data")))
          : Optional.empty();
      try {
        for (double rate : rates) {
          for (Target t : targets) {
            rows.add(measure(() -> LoadDriver.open(t, rate, step, Long.MAX_VALUE, maxInFlight), serverOf.get(t.name()), upstream));
          }
        }
        if (Arrays.stream(rates).noneMatch(r -> r == fixedRate)) {
          for (Target t : targets) {
            rows.add(measure(() -> LoadDriver.open(t, fixedRate, step, Long.MAX_VALUE, maxInFlight), serverOf.get(t.name()), upstream));
          }
        }
        for (Target t : targets) {
          rows.add(measure(() -> LoadDriver.closed(t, concurrency, saturation, Long.MAX_VALUE), serverOf.get(t.name()), upstream));
        }
      } finally {
        if (disk.isPresent()) {
          disk.get().close();
          meta.put("diskContention", disk.get().summary());
          log("disk contention " + disk.get().summary());
        }
      }

      // Heap with N open sessions (after a full GC, before and after opening them).
      if (heapSessions > 0) {
        heap.put("custos", sessionHeap(custos, custosClient, pairTokens, heapSessions));
        heap.put("bare", sessionHeap(bare, bareClient, pairTokens, heapSessions));
      }
      for (Target t : targets) {
        t.close();
      }
    } finally {
      for (int i = procs.size() - 1; i >= 0; i--) {
        procs.get(i).close();
      }
      oauth.shutdown();
    }
    meta.put("loadAvgEnd", loadAvg());
    write(out, meta, rows, heap, fixedRate);
  }

  /** Run metadata: date, CPUs, JDK, server JVM flags, 1/5/15-minute load average at the start, arguments. */
  static Map<String, Object> meta(String[] argv) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("date", Instant.now().toString());
    meta.put("nproc", Runtime.getRuntime().availableProcessors());
    meta.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    meta.put("serverJvmFlags", String.join(" ", BenchProcess.serverJvmFlags()));
    meta.put("loadAvgStart", loadAvg());
    meta.put("args", String.join(" ", argv));
    return meta;
  }

  /** The shared upstream ({@link BenchUpstream}) in its own JVM; {@code ready} is its FHIR base URL. */
  static BenchProcess startUpstream(Path out, String classPath) throws IOException, InterruptedException {
    return BenchProcess.start("upstream", cmd(List.of("-cp", classPath, BenchUpstream.class.getName())),
        Pattern.compile("^READY (\\S+)"), out.resolve("logs/upstream.log"), Duration.ofMinutes(3));
  }

  /**
   * Writes a fresh {@code custos.yaml} in {@code custosDir} (deleted first): oauth mode against {@code oauth}'s
   * issuer, upstream {@code fhirBase}, rate limits at their maximum, data under {@code custosDir/data}.
   */
  static Path writeCustosConfig(Path custosDir, String fhirBase, MockOAuth2Server oauth) throws IOException {
    return writeCustosConfig(custosDir, fhirBase, oauth, "");
  }

  /** As above, with {@code extraSections} (top-level YAML sections, e.g. {@code sql}) appended. */
  static Path writeCustosConfig(Path custosDir, String fhirBase, MockOAuth2Server oauth, String extraSections)
      throws IOException {
    deleteTree(custosDir);
    Files.createDirectories(custosDir);
    Path config = custosDir.resolve("custos.yaml");
    Files.writeString(config, """
        # Written by io.custos.bench. Synthetic data only.
        server:
          host: 127.0.0.1
          port: 0
          tls: tls13
        upstream:
          baseUrl: %s
        identity:
          mode: oauth
          issuer: %s
          jwksUri: %s
          audience: %s
        policy:
          # The maximum allowed (per user; per user and tool is half): rate limiting is evaluated on every call
          # but does not bind at the benchmark's rates.
          rateLimitPerMinute: 100000
        dataDir: %s
        """.formatted(fhirBase, oauth.issuerUrl(BenchUsers.ISSUER_ID), oauth.jwksUrl(BenchUsers.ISSUER_ID),
        BenchUsers.AUDIENCE, custosDir.resolve("data")) + extraSections);
    return config;
  }

  /** Custos from its jar ({@code java -jar custos.jar serve}, the production launch); {@code ready} is its endpoint. */
  static BenchProcess startCustos(Path custosDir, Path jar, String fhirBase, MockOAuth2Server oauth, Path log)
      throws IOException, InterruptedException {
    return startCustos(custosDir, jar, fhirBase, oauth, log, "");
  }

  /** As above, with {@code extraSections} appended to its configuration. */
  static BenchProcess startCustos(Path custosDir, Path jar, String fhirBase, MockOAuth2Server oauth, Path log,
      String extraSections) throws IOException, InterruptedException {
    Path config = writeCustosConfig(custosDir, fhirBase, oauth, extraSections);
    return BenchProcess.start("custos", cmd(List.of("-jar", jar.toString(), "serve", "--config", config.toString())),
        Pattern.compile("listening on (\\S+)"), log, Duration.ofMinutes(3));
  }

  interface Run {
    LoadDriver.Result run() throws Exception;
  }

  static Row measure(Run run, BenchProcess server, BenchProcess upstream) throws Exception {
    return measure(run, server::cpuMillis, server == upstream ? () -> 0L : upstream::cpuMillis);
  }

  /** One run with the CPU milliseconds {@code serverCpu} and {@code upstreamCpu} report before and after it. */
  static Row measure(Run run, java.util.function.LongSupplier serverCpu, java.util.function.LongSupplier upstreamCpu)
      throws Exception {
    String load = loadAvg();
    long s0 = serverCpu.getAsLong();
    long u0 = upstreamCpu.getAsLong();
    long d0 = driverCpuMs();
    LoadDriver.Result r = run.run();
    long server1 = serverCpu.getAsLong() - s0;
    long up1 = upstreamCpu.getAsLong() - u0;
    Row row = new Row(r, server1, up1, driverCpuMs() - d0, load);
    log(r.summary() + String.format(Locale.ROOT, " cpu(server)=%.2f ms/req cpu(upstream)=%.2f ms/req load=%s",
        (double) server1 / Math.max(1, r.ok() + r.errors()), (double) up1 / Math.max(1, r.ok() + r.errors()), load));
    return row;
  }

  static Map<String, Object> sessionHeap(BenchProcess server, McpBenchClient client, List<String> tokens, int n)
      throws Exception {
    long before = server.heapUsedKb(true);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<McpBenchClient.Session>> opened = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      String token = tokens.get(i % tokens.size());
      opened.add(pool.submit(() -> client.open(token)));
    }
    int ok = 0;
    for (Future<McpBenchClient.Session> f : opened) {
      try {
        f.get();
        ok++;
      } catch (Exception e) {
        // counted below
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    long after = server.heapUsedKb(true);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sessionsOpened", ok);
    m.put("openSeconds", seconds);
    m.put("heapUsedAfterGcBeforeKb", before);
    m.put("heapUsedAfterGcWithSessionsKb", after);
    m.put("perSessionBytes", ok == 0 ? 0 : (after - before) * 1024.0 / ok);
    m.put("loadAvg", loadAvg());
    log("heap " + server.name + " " + m);
    return m;
  }

  private static void write(Path out, Map<String, Object> meta, List<Row> rows, Map<String, Object> heap, double fixedRate)
      throws IOException {
    var mapper = McpBenchClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT);
    Map<String, Object> summary = ratios(rows, fixedRate);
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("meta", meta);
    all.put("summary", summary);
    all.put("heapWithOpenSessions", heap);
    all.put("runs", rows);
    mapper.writeValue(out.resolve("results.json").toFile(), all);
    String disk = "off".equals(meta.get("diskContention")) ? "off" : "on";
    String csv = csv(rows, disk);
    Files.writeString(out.resolve("results.csv"), csv);
    Files.writeString(out.resolve("latency.svg"), SvgPlot.latencyVsLoad(rows.stream().map(Row::result).toList(), meta));
    String text = mapper.writeValueAsString(Map.of("meta", meta, "summary", summary, "heapWithOpenSessions", heap));
    Files.writeString(out.resolve("summary.json"), text);
    log("summary " + text);
  }

  /** The runs as CSV, one line per run, {@code disk} (on or off) in the last column. */
  static String csv(List<Row> rows, String disk) {
    StringBuilder csv = new StringBuilder("target,mode,offered_rps,concurrency,seconds,ok,errors,throughput_rps,p50_ms,p90_ms,"
        + "p99_ms,p999_ms,max_ms,mean_ms,server_cpu_ms,server_cpu_ms_per_req,upstream_cpu_ms,driver_cpu_ms,loadavg,"
        + "disk_contention\n");
    for (Row row : rows) {
      var r = row.result();
      csv.append(String.format(Locale.ROOT, "%s,%s,%.0f,%d,%.2f,%d,%d,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%.3f,%d,%d,%s,%s%n",
          r.target(), r.mode(), r.offeredRps(), r.concurrency(), r.seconds(), r.ok(), r.errors(), r.throughputRps(), r.p50(),
          r.p90(), r.p99(), r.p999(), r.max(), r.mean(), row.serverCpuMs(),
          (double) row.serverCpuMs() / Math.max(1, r.ok() + r.errors()), row.upstreamCpuMs(), row.driverCpuMs(),
          row.loadAvg().replace(' ', '/'), disk));
    }
    return csv.toString();
  }

  /**
   * Added p99 (custos - bare) and throughput ratio (custos / bare) at the fixed rate and at saturation; and, at 100
   * and 200 calls/s where measured, Custos's p99 against twice the bare server's ({@code met} also needs no error).
   */
  static Map<String, Object> ratios(List<Row> rows, double fixedRate) {
    Map<String, Object> s = new LinkedHashMap<>();
    for (String mode : List.of("open", "closed")) {
      LoadDriver.Result bare = find(rows, "bare", mode, fixedRate);
      LoadDriver.Result custos = find(rows, "custos", mode, fixedRate);
      LoadDriver.Result up = find(rows, "upstream", mode, fixedRate);
      if (bare == null || custos == null) {
        continue;
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("offeredRps", mode.equals("open") ? fixedRate : null);
      m.put("concurrency", mode.equals("closed") ? custos.concurrency() : null);
      m.put("p99UpstreamMs", up == null ? null : up.p99());
      m.put("p99BareMs", bare.p99());
      m.put("p99CustosMs", custos.p99());
      m.put("addedP99Ms", round(custos.p99() - bare.p99()));
      m.put("addedP50Ms", round(custos.p50() - bare.p50()));
      m.put("throughputUpstreamRps", up == null ? null : up.throughputRps());
      m.put("throughputBareRps", bare.throughputRps());
      m.put("throughputCustosRps", custos.throughputRps());
      m.put("throughputRatio", round(custos.throughputRps() / bare.throughputRps()));
      m.put("errorsBare", bare.errors());
      m.put("errorsCustos", custos.errors());
      s.put(mode.equals("open") ? "fixedLoad" : "saturation", m);
    }
    List<Map<String, Object>> tails = new ArrayList<>();
    for (double rate : P99_TARGET_RATES) {
      LoadDriver.Result bare = find(rows, "bare", "open", rate);
      LoadDriver.Result custos = find(rows, "custos", "open", rate);
      if (bare != null && custos != null) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offeredRps", rate);
        m.put("p99BareMs", bare.p99());
        m.put("p99CustosMs", custos.p99());
        m.put("limitMs", round(2 * bare.p99()));
        m.put("ratio", round(custos.p99() / bare.p99()));
        m.put("met", custos.p99() <= 2 * bare.p99() && custos.errors() == 0);
        m.put("errorsBare", bare.errors());
        m.put("errorsCustos", custos.errors());
        tails.add(m);
      }
    }
    s.put("p99AtMostTwiceBare", tails);
    return s;
  }

  /** Offered rates (calls/s) at which Custos's p99 is held to at most twice the bare server's, errors counted. */
  private static final double[] P99_TARGET_RATES = {100, 200};

  private static LoadDriver.Result find(List<Row> rows, String target, String mode, double rate) {
    return rows.stream().map(Row::result).filter(r -> r.target().equals(target) && r.mode().equals(mode)
        && (mode.equals("closed") || r.offeredRps() == rate)).reduce((x, y) -> y).orElse(null);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  static List<String> cmd(List<String> tail) {
    List<String> c = new ArrayList<>();
    c.add(BenchProcess.java());
    c.addAll(BenchProcess.serverJvmFlags());
    c.addAll(tail);
    return c;
  }

  static String loadAvg() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return String.valueOf(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  static long driverCpuMs() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime() / 1_000_000;
    }
    return -1;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static Map<String, String> args(String[] argv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < argv.length; i++) {
      if (argv[i].startsWith("--")) {
        String k = argv[i].substring(2);
        String v = i + 1 < argv.length && !argv[i + 1].startsWith("--") ? argv[++i] : "true";
        m.put(k, v);
      }
    }
    return m;
  }

  static void log(String s) {
    System.out.println(Instant.now() + " " + s);
    System.out.flush();
  }
}
