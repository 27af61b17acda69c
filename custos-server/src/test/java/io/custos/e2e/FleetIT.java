package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.custos.mcp.http.HttpTestSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fleet, as README's "Deploy" section runs it: {@code ./custos demo --replicas 3} starts a real PostgreSQL, three
 * replicas ({@code custos serve}) and HAProxy (Debian's package). Through the balancer: the TypeScript SDK client suite
 * passes; a write proposed on one replica is approved on another and committed through a third exactly once; one user's
 * rate limit holds for the fleet; a session id is bound to its user on every replica; under load one replica is SIGKILLed and another SIGTERMed (it drains) and every call still succeeds on the
 * others; the shared ledger verifies offline from the database, and every acknowledged call has its INTENT and RESULT
 * events there.
 */
class FleetIT {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  final ChildProcesses children = new ChildProcesses();

  @Test
  void threeReplicasOnOnePostgresBehindHaproxy(@TempDir Path dir) throws Exception {
    DemoRun.Started started = DemoRun.start(children, dir, "fleet-demo", "--replicas", "3", "--port", "0", "--patients", "3",
        "--seed", "11");
    Process demo = started.process();
    try {
      assertThat(String.join("\n", DemoRun.awaitReady(started, Duration.ofMinutes(10))))
          .contains("Fleet: 3 replicas behind HAProxy", "audit verify --ledger");
      JsonNode conn = JSON.readTree(dir.resolve("connection.json").toFile());
      assertThat(conn.path("endpoint").asText()).startsWith("https://127.0.0.1:").endsWith("/mcp");
      assertThat(conn.path("replicas")).hasSize(3);
      assertThat(conn.path("ledger").asText()).startsWith("jdbc:postgresql://127.0.0.1:");
      String patients = JSON.writeValueAsString(conn.path("patients"));

      // The TypeScript SDK's client suite, through the balancer (2025-11-25 sessions stick to one replica).
      Map<String, String> env = new HashMap<>();
      env.put("CUSTOS_ENDPOINT", conn.path("endpoint").asText());
      env.put("CUSTOS_CA_CERT", conn.path("ca_certificate").asText());
      env.put("CUSTOS_TOKEN", conn.path("token").asText());
      env.put("CUSTOS_PATIENTS", patients);
      env.put("CUSTOS_MAX_PATIENTS", "1");
      env.put("FHIR_BASE", conn.path("fhir_base").asText());
      env.put("CUSTOS_CARE_RELATIONSHIPS", "1");
      ProcessBuilder client = ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/client-check.mjs", "--transport", "http");
      client.environment().putAll(env);
      assertThat(ClientScript.run(client, "fleet-client-http", Duration.ofMinutes(8))).isPositive();

      writeProposedOnOneReplicaIsCommittedThroughAnotherOnce(conn);
      oneRateLimitForTheFleet(conn);
      aSessionIsBoundToItsUserOnEveryReplica(conn);

      Load load = underLoad(conn, dir);
      assertThat(load.failures).as("calls refused or lost while replicas died or drained: %s", load.failureDetails).isEmpty();
      assertThat(load.afterKill.get()).as("calls answered after the SIGKILL").isPositive();
      assertThat(Files.readString(dir.resolve("replica-3.log"))).as("the SIGTERMed replica drained and signed last")
          .contains("custos: shutting down", "custos: stopped; final checkpoint written");

      // The one trail, verified offline from the database alone (another server's signature key copy, out of band).
      Thread.sleep(2500); // a checkpoint interval: the surviving replica signs the tree it holds
      String ledger = conn.path("ledger").asText();
      String verify = run("audit", "verify", "--ledger", ledger, "--public-key", conn.path("ledger_public_key").asText());
      assertThat(verify).contains("ledger OK");
      Path export = dir.resolve("events.jsonl");
      run("audit", "export", "--ledger", ledger, "--keys", dir.resolve("data/keys").toString(), "--format", "jsonl",
          "--out", export.toString());
      Set<String> intents = new HashSet<>();
      int results = 0;
      for (String line : Files.readAllLines(export)) {
        JsonNode e = JSON.readTree(line);
        if (!e.path("subject").asText().equals(load.subject) || !Load.TOOLS.contains(e.path("tool").asText())) {
          continue;
        }
        if (e.path("phase").asText().equals("INTENT")) {
          intents.add(e.path("callId").asText());
        } else if (e.path("phase").asText().equals("RESULT") && e.path("outcome").asText().equals("success")) {
          results++;
          assertThat(intents).as("a RESULT without its INTENT").contains(e.path("callId").asText());
        }
      }
      assertThat(results).as("every acknowledged call has its audit events in the shared ledger")
          .isGreaterThanOrEqualTo(load.ok.get());
    } finally {
      demo.destroy();
      assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("demo stops on SIGTERM").isTrue();
    }
  }

  /** What a load run saw. */
  private static final class Load {
    /** Three read tools in turn: 32 calls each stay under the per-user-and-tool limit (half of 120 a minute). */
    static final List<String> TOOLS = List.of("get_active_conditions", "get_medications", "get_lab_results");
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger afterKill = new AtomicInteger();
    final AtomicInteger retried = new AtomicInteger();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    String failureDetails = "";
    String subject;
  }

  /**
   * Four clients send 2026-07-28 calls through the balancer; after a third of them replica 2 is SIGKILLed, after two
   * thirds replica 3 is SIGTERMed. 96 calls in all, under the user's 120 calls a minute.
   */
  private Load underLoad(JsonNode conn, Path dir) throws Exception {
    Load load = new Load();
    // The nurse (the clinician's practice): the clinician's own minute went to the client suite and the write.
    String token = conn.path("tokens").path("nurse").asText();
    load.subject = JSON.readTree(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1])).path("sub").asText();
    HttpClient http = HttpTestSupport.client(HttpTestSupport.trustOnly(Path.of(conn.path("ca_certificate").asText())));
    URI endpoint = URI.create(conn.path("endpoint").asText());
    String patient = conn.path("patients").get(0).asText();
    int total = 96;
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger killed = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      fs.add(pool.submit(() -> {
        for (int n; (n = sent.incrementAndGet()) <= total; ) {
          if (n == total / 3 && killed.compareAndSet(0, 1)) {
            ProcessHandle.of(conn.path("replicas").get(1).path("pid").asLong()).ifPresent(ProcessHandle::destroyForcibly);
          }
          if (n == 2 * total / 3 && killed.compareAndSet(1, 2)) {
            ProcessHandle.of(conn.path("replicas").get(2).path("pid").asLong()).ifPresent(ProcessHandle::destroy);
          }
          HttpResponse<String> r = call(http, endpoint, token, Load.TOOLS.get(n % Load.TOOLS.size()), patient, n);
          if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
            // A well-behaved client retries a call refused by a draining replica (nothing was done) after Retry-After.
            load.retried.incrementAndGet();
            Thread.sleep(1000L * Long.parseLong(r.headers().firstValue("Retry-After").get()));
            r = call(http, endpoint, token, Load.TOOLS.get(n % Load.TOOLS.size()), patient, n);
          }
          JsonNode msg = r.statusCode() == 200 ? HttpTestSupport.messages(r).get(0) : null;
          if (msg != null && msg.has("result") && !msg.path("result").path("isError").asBoolean()) {
            load.ok.incrementAndGet();
            if (killed.get() > 0) {
              load.afterKill.incrementAndGet();
            }
          } else {
            load.failures.add("call " + n + ": HTTP " + r.statusCode());
          }
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    load.failureDetails = String.join("; ", load.failures);
    return load;
  }

  /** One 2026-07-28 {@code tools/call} of {@code tool} for {@code patient}. */
  private static HttpResponse<String> call(HttpClient http, URI endpoint, String token, String tool, String patient, int id)
      throws Exception {
    ObjectNode params = JSON.createObjectNode().put("name", tool);
    params.putObject("arguments").put("patient_id", patient);
    return call(http, endpoint, token, params, id);
  }

  private static HttpResponse<String> call(HttpClient http, URI endpoint, String token, ObjectNode params, int id)
      throws Exception {
    return http.send(HttpTestSupport.stateless(endpoint, id, "tools/call", params).header("Authorization", "Bearer " + token)
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI replica(JsonNode conn, int i) {
    return URI.create(conn.path("replicas").get(i).path("endpoint").asText());
  }

  /**
   * A clinical note proposed through replica 1 is approved on replica 2's approval page (the clinician's own
   * application) and committed through replica 3; committing again through replica 1 is refused, and the FHIR store
   * holds the note once.
   */
  private void writeProposedOnOneReplicaIsCommittedThroughAnotherOnce(JsonNode conn) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String token = conn.path("token").asText();
    String patient = conn.path("patients").get(0).asText();
    String title = "fleet-" + java.util.UUID.randomUUID();
    ObjectNode params = JSON.createObjectNode().put("name", "draft_clinical_note");
    ObjectNode args = params.putObject("arguments").put("patient_id", patient).put("title", title)
        .put("text", "Seen in clinic; stable.");
    JsonNode proposed = HttpTestSupport.messages(call(http, replica(conn, 0), token, params.deepCopy(), 1)).get(0);
    JsonNode proposal = proposed.at("/result/structuredContent");
    assertThat(proposal.path("status").asText()).as("%s", proposed).isEqualTo("pending_approval");
    String id = proposal.path("proposal_id").asText();

    URI approval = URI.create(replica(conn, 1).toString().replaceFirst("/mcp$", "/approvals/" + id));
    HttpResponse<String> approved = http.send(java.net.http.HttpRequest.newBuilder(approval)
        .header("Authorization", "Bearer " + conn.path("approval_token").asText())
        .header("Accept", "application/json").header("Content-Type", "application/x-www-form-urlencoded")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("decision=approve&payload_sha256="
            + proposal.path("payload_sha256").asText())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);

    args.put("proposal_id", id);
    JsonNode committed = HttpTestSupport.messages(call(http, replica(conn, 2), token, params.deepCopy(), 2)).get(0);
    assertThat(committed.at("/result/isError").asBoolean()).as("%s", committed).isFalse();
    JsonNode again = HttpTestSupport.messages(call(http, replica(conn, 0), token, params.deepCopy(), 3)).get(0);
    assertThat(again.at("/result/isError").asBoolean()).as("a second commit, on another replica: %s", again).isTrue();

    HttpResponse<String> notes = http.send(java.net.http.HttpRequest.newBuilder(URI.create(conn.path("fhir_base").asText()
        + "/DocumentReference?patient=" + patient + "&_count=500")).build(), HttpResponse.BodyHandlers.ofString());
    int written = 0;
    for (JsonNode entry : JSON.readTree(notes.body()).path("entry")) {
      written += entry.path("resource").toString().contains(title) ? 1 : 0;
    }
    assertThat(written).as("DocumentReferences holding the note: written once").isEqualTo(1);
  }

  /**
   * A billing user sends 100 calls of one tool through the balancer, round robin over three replicas: the
   * per-user-and-tool limit (60 a minute, counted before authorization) holds for the fleet, not per replica (180).
   */
  private void oneRateLimitForTheFleet(JsonNode conn) throws Exception {
    HttpClient http = HttpTestSupport.client(HttpTestSupport.trustOnly(Path.of(conn.path("ca_certificate").asText())));
    URI endpoint = URI.create(conn.path("endpoint").asText());
    String billing = conn.path("tokens").path("billing").asText();
    String patient = conn.path("patients").get(0).asText();
    AtomicInteger limited = new AtomicInteger();
    AtomicInteger sent = new AtomicInteger();
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      fs.add(pool.submit(() -> {
        for (int n; (n = sent.incrementAndGet()) <= 100; ) {
          if (call(http, endpoint, billing, "get_active_conditions", patient, n).statusCode() == 429) {
            limited.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get(3, TimeUnit.MINUTES);
    }
    pool.shutdown();
    long seconds = (System.nanoTime() - start) / 1_000_000_000L + 1;
    int admitted = 100 - limited.get();
    // Bucket4j refills the 60-a-minute bucket gradually: one more call a second while the test runs.
    assertThat(admitted).as("calls admitted in %d s", seconds).isBetween(60, 60 + (int) seconds + 1);
  }

  /** A 2025-11-25 session created on replica 1 is refused to another user presenting its id on replica 2. */
  private void aSessionIsBoundToItsUserOnEveryReplica(JsonNode conn) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> init = http.send(java.net.http.HttpRequest.newBuilder(replica(conn, 0))
        .header("Authorization", "Bearer " + conn.path("token").asText()).header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(initialize())).build(), HttpResponse.BodyHandlers.ofString());
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow(() -> new AssertionError(init.body()));
    HttpResponse<String> foreign = http.send(java.net.http.HttpRequest.newBuilder(replica(conn, 1))
        .header("Authorization", "Bearer " + conn.path("tokens").path("nurse").asText())
        .header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25")
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(foreign.statusCode()).as("another user with the session id, on another replica").isEqualTo(403);
  }

  private static String initialize() {
    return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"fleet-it\",\"version\":\"1\"}}}";
  }

  /** Runs a custos command to completion; returns its standard output (exit 0 asserted). */
  private String run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("custos").toString()));
    cmd.addAll(List.of(args));
    Process p = children.start(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("custos %s:\n%s", String.join(" ", args), out).isZero();
    return out;
  }
}
