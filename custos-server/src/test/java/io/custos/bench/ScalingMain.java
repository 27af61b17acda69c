package io.custos.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.custos.fhir.store.PopulationReplicator;
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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * How Custos's cost grows with the work, two dimensions, one run:
 * <ol>
 *   <li><b>patients</b>: for each population size N (default 20, 1,000, 10,000), the upstream
 *       ({@link PopulationUpstream}: the Synthea fixture grown to N patients) and a fresh Custos from its jar; after a
 *       closed-loop warm-up, {@code get_active_conditions} in an open loop at a fixed modest rate over 20 patients
 *       spread evenly across the population (each read by a session of its own clinician), and the same FHIR search
 *       against the upstream alone. Records p50/p90/p99, server CPU per call (Custos and the store), the
 *       population's load time and the store's heap.</li>
 *   <li><b>sessions</b>: Custos and the bare SDK server ({@link BareSdkServer}) over the 5-patient fixture; used heap
 *       after a full GC and the time to open MCP sessions (initialize + initialized, 8 at a time), cumulatively up to
 *       each size (default 1,000 and 10,000).</li>
 * </ol>
 * Custos runs in oauth mode with the full pipeline, as in {@link BenchMain}; its configuration raises the session
 * idle timeout to the maximum (60 minutes) and the rate limit to the maximum so neither ends a session or refuses a
 * call during the run. Writes {@code patients.json} and {@code sessions.json} to the output directory
 * ({@link ScalingReport} turns them into tables and a plot).
 *
 * <p>Options: {@code --out DIR --jar PATH --patients 20,1000,10000 --rate 50 --step-seconds 30 --warmup-requests 3000
 * --sessions 1000,10000 --types Encounter,Condition,CareTeam --skip patients|sessions
 * --upstream-jvm "-Xms256m -Xmx4g -XX:+UseG1GC"}. Population sizes must be multiples of 5 (the fixture's patients).
 */
public final class ScalingMain {
  private static final Pattern LOADED = Pattern.compile("^LOADED (\\d+) (\\d+) (\\d+)", Pattern.MULTILINE);
  private static final int SAMPLE = 20;

  private ScalingMain() {}

  /** Servers, users and files shared by both dimensions. */
  private record Setup(Path out, Path jar, String cp, MockOAuth2Server oauth, List<BenchUsers.Pair> pairs,
      Map<String, String> tokenOf) {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = BenchMain.args(argv);
    Path out = Path.of(a.getOrDefault("out", "bench-results/scaling")).toAbsolutePath();
    Files.createDirectories(out);
    MockOAuth2Server oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    try {
      List<BenchUsers.Pair> pairs = BenchUsers.pairs();
      Map<String, String> tokenOf = new LinkedHashMap<>();
      pairs.forEach(p -> tokenOf.computeIfAbsent(p.practitionerId(), u -> BenchUsers.token(oauth, u)));
      Setup s = new Setup(out, Path.of(a.getOrDefault("jar", "custos-server/target/custos.jar")).toAbsolutePath(),
          System.getProperty("java.class.path"), oauth, pairs, tokenOf);
      String skip = a.getOrDefault("skip", "");
      if (!skip.contains("patients")) {
        patients(s, a);
      }
      if (!skip.contains("sessions")) {
        sessions(s, a);
      }
    } finally {
      oauth.shutdown();
    }
  }

  private static void patients(Setup s, Map<String, String> a) throws Exception {
    double rate = Double.parseDouble(a.getOrDefault("rate", "50"));
    Duration step = Duration.ofSeconds(Long.parseLong(a.getOrDefault("step-seconds", "30")));
    long warmup = Long.parseLong(a.getOrDefault("warmup-requests", "3000"));
    String types = a.getOrDefault("types", "Encounter,Condition,CareTeam");
    List<String> upstreamJvm = List.of(a.getOrDefault("upstream-jvm", "-Xms256m -Xmx4g -XX:+UseG1GC").split("\\s+"));
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Object> meta = meta(a);
    for (int n : Arrays.stream(a.getOrDefault("patients", "20,1000,10000").split(",")).mapToInt(Integer::parseInt).toArray()) {
      if (n % 5 != 0 || n < SAMPLE) {
        throw new IllegalArgumentException("population sizes must be multiples of 5 and at least " + SAMPLE);
      }
      List<BenchProcess> procs = new ArrayList<>();
      try {
        List<String> cmd = new ArrayList<>(List.of(BenchProcess.java()));
        cmd.addAll(upstreamJvm);
        cmd.addAll(List.of("-cp", s.cp(), PopulationUpstream.class.getName(), String.valueOf(n), types));
        Path upLog = s.out().resolve("logs/upstream-" + n + ".log");
        BenchProcess upstream = BenchProcess.start("upstream", cmd, Pattern.compile("^READY (\\S+)"), upLog, Duration.ofMinutes(20));
        procs.add(upstream);
        Matcher loaded = LOADED.matcher(Files.readString(upLog));
        if (!loaded.find()) {
          throw new IllegalStateException("upstream did not report its population; see " + upLog);
        }
        BenchProcess custos = startCustos(s, upstream.ready, "custos-" + n);
        procs.add(custos);
        McpBenchClient client = client(s, "custos-" + n, custos);

        // 20 patients spread over the population: template t (as BenchUsers orders them), copies 0 .. N/5-1.
        List<String> patients = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        int copies = n / 5;
        for (int j = 0; j < SAMPLE; j++) {
          BenchUsers.Pair template = s.pairs().get(j % s.pairs().size());
          int copy = (int) ((long) (j / s.pairs().size()) * (copies - 1) / (SAMPLE / s.pairs().size() - 1));
          patients.add(PopulationReplicator.replicaId(template.patientId(), copy));
          tokens.add(s.tokenOf().get(template.practitionerId()));
        }
        Target.Mix mix = new Target.Mix(patients);
        Target tCustos = new Target.Mcp("custos", client, Target.Mcp.open(client, tokens), mix, "get_active_conditions");
        Target tUpstream = new Target.Fhir(upstream.ready, mix, 64);
        BenchMain.log("population " + n + " warm-up " + LoadDriver.closed(tUpstream, 4, Duration.ofSeconds(60), warmup).summary());
        BenchMain.log("population " + n + " warm-up " + LoadDriver.closed(tCustos, 4, Duration.ofSeconds(180), warmup).summary());
        BenchMain.Row up = BenchMain.measure(() -> LoadDriver.open(tUpstream, rate, step, Long.MAX_VALUE, 256), upstream, upstream);
        BenchMain.Row cu = BenchMain.measure(() -> LoadDriver.open(tCustos, rate, step, Long.MAX_VALUE, 256), custos, upstream);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("patients", Integer.parseInt(loaded.group(1)));
        row.put("storeResources", Long.parseLong(loaded.group(2)));
        row.put("loadSeconds", Long.parseLong(loaded.group(3)) / 1000.0);
        row.put("storeHeapUsedAfterGcKb", upstream.heapUsedKb(true));
        row.put("custosHeapUsedAfterGcKb", custos.heapUsedKb(true));
        row.put("upstream", summary(up));
        row.put("custos", summary(cu));
        rows.add(row);
        BenchMain.log("population " + row);
        tCustos.close();
        tUpstream.close();
      } finally {
        for (int i = procs.size() - 1; i >= 0; i--) {
          procs.get(i).close();
        }
      }
    }
    meta.put("loadAvgEnd", BenchMain.loadAvg());
    write(s.out().resolve("patients.json"), Map.of("meta", meta, "rows", rows));
  }

  private static void sessions(Setup s, Map<String, String> a) throws Exception {
    int[] sizes = Arrays.stream(a.getOrDefault("sessions", "1000,10000").split(",")).mapToInt(Integer::parseInt).toArray();
    Map<String, Object> meta = meta(a);
    Map<String, Object> results = new LinkedHashMap<>();
    List<BenchProcess> procs = new ArrayList<>();
    try {
      BenchProcess upstream = BenchProcess.start("upstream", BenchMain.cmd(List.of("-cp", s.cp(), BenchUpstream.class.getName())),
          Pattern.compile("^READY (\\S+)"), s.out().resolve("logs/sessions-upstream.log"), Duration.ofMinutes(3));
      procs.add(upstream);
      BenchProcess custos = startCustos(s, upstream.ready, "custos-sessions");
      procs.add(custos);
      Path bareDir = s.out().resolve("bare-sessions");
      BenchMain.deleteTree(bareDir);
      BenchProcess bare = BenchProcess.start("bare", BenchMain.cmd(List.of("-cp", s.cp(), BareSdkServer.class.getName(),
          upstream.ready, bareDir.toString())), Pattern.compile("^READY (\\S+)"), s.out().resolve("logs/bare-sessions.log"),
          Duration.ofMinutes(3));
      procs.add(bare);
      List<String> tokens = new ArrayList<>(s.tokenOf().values());
      McpBenchClient custosClient = client(s, "custos-sessions", custos);
      McpBenchClient bareClient = new McpBenchClient(McpBenchClient.client(bareDir.resolve("tls/certificate.pem")),
          URI.create(bare.ready));
      // One session first on each, so JWKS fetch and class loading are not charged to the first size.
      Target.Mcp.openWithRetry(custosClient, tokens.get(0));
      bareClient.open(tokens.get(0));
      results.put("custos", growSessions(custos, custosClient, tokens, sizes));
      results.put("bare", growSessions(bare, bareClient, tokens, sizes));
    } finally {
      for (int i = procs.size() - 1; i >= 0; i--) {
        procs.get(i).close();
      }
    }
    meta.put("loadAvgEnd", BenchMain.loadAvg());
    write(s.out().resolve("sessions.json"), Map.of("meta", meta, "servers", results));
  }

  /** Opens sessions up to each size in turn; heap per session and open time are cumulative from the first. */
  private static List<Map<String, Object>> growSessions(BenchProcess server, McpBenchClient client, List<String> tokens,
      int[] sizes) throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    long baseKb = -1;
    double seconds = 0;
    int open = 0;
    for (int size : sizes) {
      Map<String, Object> step = BenchMain.sessionHeap(server, client, tokens, size - open);
      if (baseKb < 0) {
        baseKb = (Long) step.get("heapUsedAfterGcBeforeKb");
      }
      open += (Integer) step.get("sessionsOpened");
      seconds += (Double) step.get("openSeconds");
      long withKb = (Long) step.get("heapUsedAfterGcWithSessionsKb");
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("sessions", open);
      row.put("openSecondsTotal", Math.round(seconds * 1000) / 1000.0);
      row.put("sessionsPerSecond", Math.round(open / seconds));
      row.put("heapUsedAfterGcBaseKb", baseKb);
      row.put("heapUsedAfterGcKb", withKb);
      row.put("perSessionBytes", Math.round((withKb - baseKb) * 1024.0 / open));
      row.put("step", step);
      rows.add(row);
    }
    return rows;
  }

  private static BenchProcess startCustos(Setup s, String fhirBase, String name) throws Exception {
    Path dir = s.out().resolve(name);
    BenchMain.deleteTree(dir);
    Files.createDirectories(dir);
    Path config = dir.resolve("custos.yaml");
    Files.writeString(config, """
        # Written by io.custos.bench.ScalingMain. Synthetic data only.
        server: {host: 127.0.0.1, port: 0, tls: tls13}
        upstream: {baseUrl: %s}
        identity:
          mode: oauth
          issuer: %s
          jwksUri: %s
          audience: %s
          # The maximum: no session of the run is logged off while the others are opened.
          idleTimeoutMinutes: 60
        # The maximum: rate limits are evaluated on every call but do not bind.
        policy: {rateLimitPerMinute: 100000}
        dataDir: %s
        """.formatted(fhirBase, s.oauth().issuerUrl(BenchUsers.ISSUER_ID), s.oauth().jwksUrl(BenchUsers.ISSUER_ID),
        BenchUsers.AUDIENCE, dir.resolve("data")));
    return BenchProcess.start(name, BenchMain.cmd(List.of("-jar", s.jar().toString(), "serve", "--config", config.toString())),
        Pattern.compile("listening on (\\S+)"), s.out().resolve("logs/" + name + ".log"), Duration.ofMinutes(3));
  }

  private static McpBenchClient client(Setup s, String name, BenchProcess custos) throws Exception {
    return new McpBenchClient(McpBenchClient.client(s.out().resolve(name).resolve("data/tls/certificate.pem")),
        URI.create(custos.ready));
  }

  private static Map<String, Object> summary(BenchMain.Row row) {
    LoadDriver.Result r = row.result();
    long calls = Math.max(1, r.ok() + r.errors());
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("offeredRps", r.offeredRps());
    m.put("ok", r.ok());
    m.put("errors", r.errors());
    m.put("errorKinds", r.errorKinds());
    m.put("p50Ms", r.p50());
    m.put("p90Ms", r.p90());
    m.put("p99Ms", r.p99());
    m.put("serverCpuMsPerCall", Math.round(row.serverCpuMs() * 1000.0 / calls) / 1000.0);
    m.put("storeCpuMsPerCall", Math.round(row.upstreamCpuMs() * 1000.0 / calls) / 1000.0);
    m.put("loadAvg", row.loadAvg());
    return m;
  }

  private static Map<String, Object> meta(Map<String, String> a) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("date", Instant.now().toString());
    meta.put("nproc", Runtime.getRuntime().availableProcessors());
    meta.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    meta.put("serverJvmFlags", String.join(" ", BenchProcess.serverJvmFlags()));
    meta.put("loadAvgStart", BenchMain.loadAvg());
    meta.put("args", a.toString());
    return meta;
  }

  private static void write(Path file, Object value) throws Exception {
    McpBenchClient.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), value);
    BenchMain.log("wrote " + file);
  }
}
