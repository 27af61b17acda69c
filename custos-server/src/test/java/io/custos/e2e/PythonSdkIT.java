package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.mcp.http.McpHttpServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Custos driven by the official MCP Python SDK client ({@code mcp.client.Client}, PyPI {@code mcp} 2.3.0) over
 * Streamable HTTP (TLS 1.3, self-signed certificate) and over stdio, once per connection mode: pinned to 2026-07-28
 * (stateless: no handshake, human approval as an {@code InputRequiredResult} round trip with a sealed
 * {@code requestState}), {@code auto} ({@code server/discover}) and {@code legacy} (the 2025-11-25 handshake and a
 * server-initiated {@code elicitation/create}). Each run lists the tools, calls every patient read tool for a patient
 * in the clinician's care and checks the answers against the FHIR upstream, checks the refusal for a patient outside
 * care, pages with cursors, and has a write approved in the client's form and committed exactly once, its replay
 * refused ({@code e2e/python/client_check.py}).
 *
 * <p>The caller is a clinician with a real signed access token (mock-oauth2-server) whose {@code fhirUser} is a
 * Practitioner of the Synthea fixture; care relationships are enforced. The SDK is installed into
 * {@code .tools/python-venv} by {@code scripts/install-python-sdk.sh} in the pre-integration-test phase.
 */
class PythonSdkIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path ROOT = MODULE.getParent();
  private static final Path PYTHON = ROOT.resolve(".tools/python-venv/bin/python");

  private static EmbeddedFhirStore store;
  private static MockOAuth2Server oauth;
  private static ServerAssembly app;
  private static McpHttpServer http;
  private static Path work;
  private static Pick pick;

  /** The fixture people the run is about: a practitioner, a patient in their care and one outside it. */
  private record Pick(String practitioner, String patient, String outside) {}

  @BeforeAll
  static void start() throws Exception {
    assertThat(PYTHON).as("the MCP Python SDK venv (installed by scripts/install-python-sdk.sh)").isExecutable();
    work = Files.createTempDirectory("custos-python-e2e");
    store = EmbeddedFhirStore.builder().dataDirectory(io.custos.mcp.http.HttpTestSupport.fixtureDir()).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    pick = pick(store.repository());
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    app = new ServerAssembly(CustosConfig.load(writeConfig("http")));
    http = app.startHttp(false);
    fetchSigningKeys();
  }

  /**
   * The identity provider runs in this JVM: on a busy machine its first JWKS answer can take longer than the JWKS
   * client's fetch timeout (Nimbus default, 500 ms), and the first request would be refused 401 invalid_token.
   * One validation before the clients start fills the HTTP server's key cache (each stdio server fetches its own).
   */
  private static void fetchSigningKeys() throws InterruptedException {
    String token = token("py-clinician");
    for (int attempt = 1; ; attempt++) {
      try {
        app.authenticator().authenticate(Optional.of(token));
        return;
      } catch (io.custos.auth.AuthenticationException e) {
        // a failed fetch is rate limited (at most one per 30 s): wait that out
        assertThat(attempt).as("the identity provider's JWKS could not be fetched").isLessThan(40);
        Thread.sleep(1000);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (oauth != null) {
      oauth.shutdown();
    }
    for (AutoCloseable c : new AutoCloseable[] {http, app, store}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /**
   * The patient with the most vital signs (paging needs more than two) who has an Encounter participant, that
   * participant, and a patient who has no care relationship with them (no Encounter or CareTeam participation, not
   * their general practitioner): the rule {@code io.custos.policy.FhirCareRelationship} applies.
   */
  private static Pick pick(InMemoryRepository repo) {
    List<String> patients = new ArrayList<>(repo.all("Patient").stream().map(r -> r.getIdElement().getIdPart()).toList());
    patients.sort(Comparator.comparingInt((String p) -> repo.forPatient("Observation", p).size()).reversed());
    for (String patient : patients) {
      for (String practitioner : encounterPractitioners(repo, patient)) {
        Optional<String> outside = patients.stream().filter(o -> !o.equals(patient))
            .filter(o -> !careTeamOf(repo, o).contains(practitioner)).findFirst();
        if (outside.isPresent()) {
          return new Pick(practitioner.substring("Practitioner/".length()), patient, outside.get());
        }
      }
    }
    throw new AssertionError("the fixture has no practitioner with a patient in care and one outside");
  }

  private static List<String> encounterPractitioners(InMemoryRepository repo, String patient) {
    return repo.forPatient("Encounter", patient).stream().flatMap(r -> ((Encounter) r).getParticipant().stream())
        .map(p -> p.getIndividual().getReference()).filter(ref -> ref != null && ref.startsWith("Practitioner/"))
        .distinct().toList();
  }

  /** Every practitioner reference with a care relationship to {@code patient}. */
  private static Set<String> careTeamOf(InMemoryRepository repo, String patient) {
    Set<String> refs = new HashSet<>(encounterPractitioners(repo, patient));
    repo.forPatient("CareTeam", patient).forEach(r -> ((CareTeam) r).getParticipant()
        .forEach(p -> refs.add(p.getMember().getReference())));
    repo.get("Patient", patient).map(Patient.class::cast).ifPresent(p -> p.getGeneralPractitioner()
        .forEach(r -> refs.add(r.getReference())));
    return refs;
  }

  private static Path writeConfig(String name) throws Exception {
    Path file = work.resolve(name + ".yaml");
    Files.writeString(file, """
        server: {host: 127.0.0.1, port: 0, tls: tls13}
        upstream: {baseUrl: "%s"}
        identity: {mode: oauth, issuer: "%s", jwksUri: "%s", audience: "%s"}
        # the answer to the client's approval form approves the write (otherwise only the approval page does)
        policy: {elicitationApproval: true, rateLimitPerMinute: 10000}
        dataDir: "%s"
        """.formatted(store.baseUrl(), oauth.issuerUrl(WriteCheck.ISSUER_ID), oauth.jwksUrl(WriteCheck.ISSUER_ID),
        WriteCheck.AUDIENCE, work.resolve(name + "-data")));
    return file;
  }

  /**
   * A clinician's access token: read and create scopes, multi-factor authentication, the picked practitioner (so a
   * second user differs from the first only by {@code sub}).
   */
  private static String token(String subject) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs user/*.c");
    claims.put("roles", List.of("clinician"));
    claims.put("fhirUser", "Practitioner/" + pick.practitioner());
    claims.put("client_id", "agent-app");
    claims.put("auth_time", Instant.now().getEpochSecond());
    claims.put("amr", List.of("pwd", "mfa"));
    return oauth.issueToken(WriteCheck.ISSUER_ID, "agent-app", new DefaultOAuth2TokenCallback(WriteCheck.ISSUER_ID,
        subject, "at+jwt", List.of(WriteCheck.AUDIENCE), claims, 3600)).serialize();
  }

  private static Map<String, String> env(String expectVersion) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, String> env = new HashMap<>();
    env.put("CUSTOS_ENDPOINT", http.endpoint().toString());
    env.put("CUSTOS_CA_CERT", app.dataDir().resolve("tls/certificate.pem").toString());
    env.put("CUSTOS_STDIO_CMD", json.writeValueAsString(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dcustos.home=" + ROOT, "-jar",
        MODULE.resolve("target/custos.jar").toString(), "serve", "--stdio", "--config", writeConfig("stdio").toString())));
    env.put("CUSTOS_TOKEN", token("py-clinician"));
    env.put("CUSTOS_OTHER_TOKEN", token("py-other-clinician"));
    env.put("FHIR_BASE", store.baseUrl());
    env.put("CUSTOS_PATIENT", pick.patient());
    env.put("CUSTOS_OUTSIDE_PATIENT", pick.outside());
    env.put("CUSTOS_EXPECT_VERSION", expectVersion);
    return env;
  }

  @ParameterizedTest(name = "{0} mode={1}")
  @CsvSource({
      "http, 2026-07-28, 2026-07-28",
      "http, auto, 2026-07-28",
      "http, legacy, 2025-11-25",
      "stdio, 2026-07-28, 2026-07-28",
      "stdio, auto, 2026-07-28",
      "stdio, legacy, 2025-11-25",
  })
  void pythonSdkClientReadsRefusesPagesAndWritesOnce(String transport, String mode, String version) throws Exception {
    String logName = "python-" + transport + "-" + mode;
    ProcessBuilder pb = ClientScript.in(PYTHON.toString(), "e2e/python/client_check.py", "--transport", transport,
        "--mode", mode);
    pb.environment().putAll(env(version));
    ClientScript.Finished run = ClientScript.finish(pb, logName, Duration.ofMinutes(5));

    String summaryLine = run.output().lines().filter(l -> l.startsWith("{\"transport\"")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError(logName + " printed no JSON summary:\n" + run.tail()));
    JsonNode summary = new ObjectMapper().readTree(summaryLine);
    List<String> failures = new ArrayList<>();
    List<String> names = new ArrayList<>();
    summary.get("checks").forEach(c -> {
      names.add(c.get("name").asText());
      if (!c.get("ok").asBoolean()) {
        failures.add(c.get("name").asText() + ": " + c.get("detail").asText());
      }
    });
    assertThat(failures).as("%s failed checks (log target/e2e-logs/%s.log)", logName, logName).isEmpty();
    assertThat(summary.get("protocolVersion").asText()).isEqualTo(version);
    assertThat(names).as("checks run").anyMatch(n -> n.startsWith("read: get_lab_results"))
        .anyMatch(n -> n.startsWith("refusal: get_patient_demographics for a patient outside care"))
        .anyMatch(n -> n.startsWith("paging: ")).anyMatch(n -> n.startsWith("write: draft_clinical_note"))
        .hasSizeGreaterThanOrEqualTo(22);
    if (version.equals("2026-07-28")) {
      assertThat(names).anyMatch(n -> n.startsWith("write (low-level): the same requestState sent again is refused"));
    }
    assertThat(run.exitCode()).as("%s exit code", logName).isZero();
    assertThat(run.leftovers()).as("%s left these processes running (now stopped)", logName).isEmpty();
  }
}
