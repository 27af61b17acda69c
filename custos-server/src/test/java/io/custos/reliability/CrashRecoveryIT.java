package io.custos.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.e2e.ChildProcesses;
import io.custos.fhir.store.EmbeddedFhirStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Crash safety: Custos runs as its own JVM ({@code java -jar target/custos.jar serve}) in front of
 * the embedded FHIR store (in this JVM); four client threads drive tool calls over HTTPS; the server is killed with
 * SIGKILL ({@link Process#destroyForcibly()}) at a random moment under load, then restarted on the same data
 * directory. After every kill the ledger verifies offline and every result a client received (its SHA-256) is a
 * {@code RESULT success} event whose call has an earlier {@code INTENT} event ({@link LedgerAudit}). Every restart
 * must open the crashed ledger (torn tail truncated, last checkpoint matched).
 *
 * <p>Default: 3 cycles. Long: {@code -Dcustos.long=true} (60 cycles) or {@code -Dcustos.crash.cycles=N};
 * {@code scripts/reliability-long.sh} runs it. Random seed: {@code -Dcustos.crash.seed=S} (printed).
 */
class CrashRecoveryIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path LOGS = MODULE.resolve("target/reliability-logs");
  private static final Pattern LISTENING = Pattern.compile("custos: listening on (https://\\S+/mcp)");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TOOLS = List.of("get_active_conditions", "get_medications", "get_allergies",
      "get_immunizations", "get_vital_signs", "list_encounters");

  @RegisterExtension
  static final ChildProcesses CHILDREN = new ChildProcesses();

  private static EmbeddedFhirStore store;
  private static Path work;
  private static Path config;
  private static List<String> patients;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(LOGS);
    work = Files.createTempDirectory("custos-crash");
    Path fixture = io.custos.mcp.http.HttpTestSupport.fixtureDir();
    patients = io.custos.mcp.http.HttpTestSupport.fixturePatientIds();
    store = EmbeddedFhirStore.builder().dataDirectory(fixture).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    config = work.resolve("custos.yaml");
    Files.writeString(config, """
        server: {host: 127.0.0.1, port: 0, tls: tls13}
        upstream: {baseUrl: "%s"}
        identity: {mode: development}
        policy: {requireCareRelationship: false, rateLimitPerMinute: 100000}
        dataDir: "%s"
        """.formatted(store.baseUrl(), work.resolve("data")));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  static int cycles() {
    return Integer.getInteger("custos.crash.cycles", Boolean.getBoolean("custos.long") ? 60 : 3);
  }

  record Server(Process process, URI endpoint, SSLContext ssl) {}

  static Server launch(int cycle) throws Exception {
    Path log = LOGS.resolve("crash-server-" + cycle + ".log");
    Process p = CHILDREN.start(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-jar", MODULE.resolve("target/custos.jar").toString(), "serve", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()));
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(Files.readString(log));
      if (m.find()) {
        return new Server(p, URI.create(m.group(1)), trust(work.resolve("data/tls/certificate.pem")));
      }
      if (!p.isAlive()) {
        throw new AssertionError("server exited " + p.exitValue() + " on start (cycle " + cycle + "):\n" + Files.readString(log));
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new AssertionError("server not ready in 90 s (cycle " + cycle + "):\n" + Files.readString(log));
  }

  static SSLContext trust(Path pem) throws Exception {
    X509Certificate cert;
    try (InputStream in = Files.newInputStream(pem)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("custos", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  static HttpRequest.Builder post(URI endpoint, String body) {
    return HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream").POST(HttpRequest.BodyPublishers.ofString(body));
  }

  /** The JSON-RPC message in a JSON or SSE response body. */
  static JsonNode message(HttpResponse<String> r) throws IOException {
    String body = r.body();
    if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
      StringBuilder data = new StringBuilder();
      for (String line : body.split("\r?\n")) {
        if (line.startsWith("data:")) {
          data.append(line.substring(5).stripLeading());
        }
      }
      body = data.toString();
    }
    return JSON.readTree(body);
  }

  static String sha256(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  /** One client: a session, then tool calls until the server dies or {@code stop}; records received results. */
  static int client(Server server, int seed, Set<String> received, AtomicBoolean stop, AtomicInteger cycleOk) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(server.ssl())
        .connectTimeout(Duration.ofSeconds(5)).build();
    Random rnd = new Random(seed);
    int ok = 0;
    try {
      HttpResponse<String> init = http.send(post(server.endpoint(), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"crash-it\",\"version\":\"1\"}}}").build(),
          HttpResponse.BodyHandlers.ofString());
      String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      http.send(post(server.endpoint(), "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").header("Mcp-Session-Id", sid)
          .header("MCP-Protocol-Version", "2025-11-25").build(), HttpResponse.BodyHandlers.ofString());
      for (int id = 2; id < 100_000 && !stop.get(); id++) {
        String tool = TOOLS.get(rnd.nextInt(TOOLS.size()));
        String patient = patients.get(rnd.nextInt(patients.size()));
        String body = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
            + "\",\"arguments\":{\"patient_id\":\"" + patient + "\",\"limit\":" + (1 + rnd.nextInt(50)) + "}}}";
        HttpResponse<String> r = http.send(post(server.endpoint(), body).header("Mcp-Session-Id", sid)
            .header("MCP-Protocol-Version", "2025-11-25").build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          continue;
        }
        JsonNode result;
        try {
          result = message(r).path("result");
        } catch (IOException torn) {
          continue; // a response cut by the kill was not received
        }
        if (!result.path("isError").asBoolean(true) && result.path("content").isArray()) {
          received.add(sha256(result.path("content").get(0).path("text").asText()));
          ok++;
          cycleOk.incrementAndGet();
        }
      }
    } catch (IOException | java.util.NoSuchElementException dead) {
      // the server was killed: this client is done
    }
    return ok;
  }

  @Test
  void sigkillUnderLoadNeverLosesAnAcknowledgedCall() throws Exception {
    long seed = Long.getLong("custos.crash.seed", System.nanoTime());
    Random rnd = new Random(seed);
    int cycles = cycles();
    Set<String> received = ConcurrentHashMap.newKeySet();
    AtomicInteger totalOk = new AtomicInteger();
    List<String> rows = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int cycle = 1; cycle <= cycles; cycle++) {
      Server server = launch(cycle);
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<Integer>> clients = new ArrayList<>();
      AtomicInteger cycleOk = new AtomicInteger();
      for (int c = 0; c < 4; c++) {
        int s = rnd.nextInt();
        clients.add(pool.submit(() -> client(server, s, received, stop, cycleOk)));
      }
      // under load: once results flow (the fresh JVM warms up first), kill at a random moment within 2.5 s
      long warm = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (cycleOk.get() == 0 && System.nanoTime() < warm) {
        Thread.sleep(20);
      }
      long killAfter = rnd.nextInt(2500);
      Thread.sleep(killAfter);
      server.process().destroyForcibly(); // SIGKILL
      assertThat(server.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      stop.set(true);
      int ok = 0;
      for (Future<Integer> f : clients) {
        ok += f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdownNow();
      totalOk.addAndGet(ok);
      // offline, on the crashed ledger (a torn tail is only a warning)
      LedgerAudit.Summary s = LedgerAudit.check(work.resolve("data"), received);
      rows.add(String.format("cycle %d: killed %d ms into the load, %d results received, ledger %d entries (%d intents, %d results), %d warnings",
          cycle, killAfter, ok, s.entries(), s.intents(), s.results(), s.report().warnings().size()));
      assertThat(s.report().ok()).isTrue();
    }
    // a final restart must open the crashed ledger; then a clean stop (SIGTERM) writes the final checkpoint
    Server last = launch(cycles + 1);
    last.process().destroy();
    assertThat(last.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    LedgerAudit.Summary end = LedgerAudit.check(work.resolve("data"), received);
    assertThat(end.report().unanchored()).as("after a clean stop every entry is under a signed checkpoint").isZero();
    // and the CLI agrees
    Process verify = CHILDREN.start(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        MODULE.resolve("target/custos.jar").toString(), "audit", "verify", "--ledger", work.resolve("data/ledger").toString())
        .redirectErrorStream(true));
    String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(verify.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(verify.exitValue()).as(out).isZero();
    long recovered = 0;
    for (int c = 1; c <= cycles + 1; c++) {
      recovered += Files.readString(LOGS.resolve("crash-server-" + c + ".log")).lines()
          .filter(l -> l.contains("ledger recovered from a crash")).count();
    }
    String summary = String.format("crash test: %d SIGKILL cycles in %d s (seed %d), %d results received (%d distinct), ledger %d"
        + " entries verified, %d restarts truncated a torn tail, 0 acknowledged calls missing; custos audit verify: %s",
        cycles, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0), seed, totalOk.get(), received.size(), end.entries(), recovered,
        out.lines().reduce((a, b) -> b).orElse(""));
    rows.add(summary);
    Files.write(LOGS.resolve("crash-summary.txt"), rows);
    rows.forEach(System.out::println);
  }
}
