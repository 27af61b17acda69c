package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.auth.Caller;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.emergency.EmergencyAccess;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.SearchMethod;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamAuth;
import io.custos.fhir.UpstreamRequest;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.HttpTestSupport;
import io.custos.mcp.http.McpHttpServer;
import io.custos.policy.FhirCareRelationship;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Custos in front of the HAPI FHIR JPA server, the reference FHIR server, loaded with the same fixture as the
 * embedded store: the official TypeScript SDK client calls every read tool and cross-checks each answer against
 * FHIR searches made directly on the JPA server (paging included), once through an upstream that takes search by
 * POST and once through one that answers 405 to it (Custos falls back to GET); the same client proposes, approves
 * and commits every write tool and reads the writes back from the JPA server ({@link WriteCheck}); care
 * relationships, paging and the search methods are compared between the two servers from Java. A clinician with no
 * care relationship to a patient is refused, declares break-the-glass, then reads the patient (cross-checked against
 * the JPA server), and the audit ledger records it. Last, every log line and console byte of this JVM from the whole
 * run (Custos's own log, {@link PhiLogCapture}) and Custos's data directories are searched for the fixture
 * patients' identifiers.
 *
 * <p>Runs in every {@code ./mvnw verify} ({@code -Pno-jpa-upstream} leaves it out). The JPA server's log is kept in
 * {@code target/e2e-logs/jpa-server.log}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JpaServerIT {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  /** Today: the derived Slots and appointments lie in the future, as the write tools need. */
  private static final Instant REFERENCE = Instant.now().truncatedTo(ChronoUnit.DAYS);

  private static JpaFhirServer jpa;
  private static EmbeddedFhirStore embedded;
  private static ServerAssembly app;
  private static ServerAssembly getOnlyApp;
  private static McpHttpServer http;
  private static McpHttpServer getOnlyHttp;
  private static Path work;
  private static PhiLogCapture logs;

  @BeforeAll
  static void start() throws Exception {
    logs = PhiLogCapture.start();
    work = Files.createTempDirectory("custos-jpa-e2e");
    jpa = JpaFhirServer.start(HttpTestSupport.fixtureDir(), REFERENCE);
    System.out.printf("HAPI FHIR JPA server started and loaded in %d s%n", jpa.startup().toSeconds());
    embedded = EmbeddedFhirStore.builder().dataDirectory(HttpTestSupport.fixtureDir()).port(0)
        .referenceInstant(REFERENCE).build().start();
    app = new ServerAssembly(CustosConfig.load(writeConfig("post", jpa.baseUrl())));
    http = app.startHttp(false);
    getOnlyApp = new ServerAssembly(CustosConfig.load(writeConfig("get-only", jpa.getOnlyBaseUrl())));
    getOnlyHttp = getOnlyApp.startHttp(false);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {http, app, getOnlyHttp, getOnlyApp, embedded, jpa}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // shutting down
      }
    }
    if (logs != null) {
      logs.close();
    }
  }

  private static Path writeConfig(String name, String upstream) throws Exception {
    Path file = work.resolve(name + ".yaml");
    Files.writeString(file, """
        server: {host: 127.0.0.1, port: 0, tls: plain}
        upstream: {baseUrl: "%s"}
        identity: {mode: development}
        # The client sweeps every fixture patient; care relationships are compared from Java below.
        policy: {requireCareRelationship: false}
        dataDir: "%s"
        """.formatted(upstream, work.resolve(name + "-data")));
    return file;
  }

  private static int clientCheck(McpHttpServer server, String logName, int maxPatients) throws Exception {
    ProcessBuilder pb = ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/client-check.mjs", "--transport", "http");
    Map<String, String> env = pb.environment();
    env.put("CUSTOS_ENDPOINT", server.endpoint().toString());
    env.put("FHIR_BASE", jpa.baseUrl());
    env.put("CUSTOS_PATIENTS", new ObjectMapper().writeValueAsString(HttpTestSupport.fixturePatientIds()));
    env.put("CUSTOS_MAX_PATIENTS", Integer.toString(maxPatients));
    return ClientScript.run(pb, logName, Duration.ofMinutes(9));
  }

  @Test
  void typescriptSdkClientCallsEveryToolAndMatchesTheJpaServer() throws Exception {
    assertThat(clientCheck(http, "jpa-client-http", 5)).as("checks run").isGreaterThan(60);
  }

  @Test
  void anUpstreamThatRefusesPostSearchIsSearchedByGet() throws Exception {
    assertThat(clientCheck(getOnlyHttp, "jpa-get-only-client-http", 2)).as("checks run").isGreaterThan(30);
  }

  @Test
  void writeToolsProposeApproveCommitAndReadBackFromTheJpaServer() throws Exception {
    try (WriteCheck writes = new WriteCheck(jpa.baseUrl(), embedded.repository())) {
      assertThat(writes.run("jpa-write-check")).as("checks run").isGreaterThanOrEqualTo(33);
    }
  }

  @Test
  void getAndPostSearchAnswerAlikeAndA405SwitchesToGet() {
    var post = new HapiFhirUpstream(FHIR, jpa.baseUrl(), Duration.ofSeconds(30), List.of(), UpstreamAuth.none(),
        SearchMethod.POST);
    var get = new HapiFhirUpstream(FHIR, jpa.baseUrl(), Duration.ofSeconds(30), List.of(), UpstreamAuth.none(),
        SearchMethod.GET);
    var refused = new HapiFhirUpstream(FHIR, jpa.getOnlyBaseUrl(), Duration.ofSeconds(30), List.of(), UpstreamAuth.none(),
        SearchMethod.POST);
    for (String patient : patients()) {
      var search = new UpstreamRequest.Search("Observation", Map.of("patient", List.of(patient),
          "category", List.of("vital-signs")), 100);
      assertThat(ids(get, search)).as(patient).isEqualTo(ids(post, search)).isEqualTo(ids(refused, search));
    }
    assertThat(post.searchMethod()).isEqualTo(SearchMethod.POST);
    assertThat(refused.searchMethod()).isEqualTo(SearchMethod.GET);
  }

  @Test
  void pagingFollowsTheJpaServersNextLinksToTheSameResultsAsTheEmbeddedStore() {
    FhirUpstream reference = upstream(jpa.baseUrl());
    FhirUpstream store = upstream(embedded.baseUrl());
    for (String patient : patients()) {
      var search = new UpstreamRequest.Search("Observation", Map.of("patient", List.of(patient)), 7);
      List<String> viaJpa = ids(reference, search);
      assertThat(viaJpa).as("more than one page for %s", patient).hasSizeGreaterThan(7).doesNotHaveDuplicates();
      assertThat(new LinkedHashSet<>(viaJpa)).as(patient).isEqualTo(new LinkedHashSet<>(ids(store, search)));
    }
  }

  @Test
  void careRelationshipsAreTheSameOnBothServers() {
    FhirCareRelationship reference = new FhirCareRelationship(upstream(jpa.baseUrl()), Clock.systemUTC(), Duration.ZERO);
    FhirCareRelationship store = new FhirCareRelationship(upstream(embedded.baseUrl()), Clock.systemUTC(), Duration.ZERO);
    Map<Boolean, Integer> tally = new HashMap<>();
    for (IBaseResource practitioner : embedded.repository().all("Practitioner")) {
      String id = practitioner.getIdElement().getIdPart();
      Caller caller = new Caller("clinician-" + id, "agent-app", Optional.of("Practitioner/" + id), Set.of("clinician"),
          Set.of("user/*.rs"), Optional.empty(), true, "h", Instant.now().plusSeconds(600));
      for (String patient : patients()) {
        boolean expected = store.exists(caller, patient);
        assertThat(reference.exists(caller, patient)).as("Practitioner/%s - Patient/%s", id, patient).isEqualTo(expected);
        tally.merge(expected, 1, Integer::sum);
      }
    }
    assertThat(tally).as("some pairs with and some without a relationship").containsKeys(true, false);
  }

  @Test
  void breakTheGlassOpensAPatientOutsideTheCareRelationshipsAndTheLedgerRecordsIt() throws Exception {
    FhirUpstream reference = upstream(jpa.baseUrl());
    FhirCareRelationship relationships = new FhirCareRelationship(reference, Clock.systemUTC(), Duration.ZERO);
    // A practitioner with a care relationship to some fixture patient but not to one who has active conditions.
    String practitioner = null;
    String patient = null;
    List<String> expected = List.of();
    for (IBaseResource r : embedded.repository().all("Practitioner")) {
      String id = r.getIdElement().getIdPart();
      Caller probe = new Caller("probe-" + id, "agent-app", Optional.of("Practitioner/" + id), Set.of("clinician"),
          Set.of("user/*.rs"), Optional.empty(), true, "h", Instant.now().plusSeconds(600));
      List<String> outside = patients().stream().filter(p -> !relationships.exists(probe, p)).toList();
      if (outside.size() == patients().size()) {
        continue;
      }
      for (String p : outside) {
        List<String> active = ids(reference, new UpstreamRequest.Search("Condition",
            Map.of("patient", List.of(p), "clinical-status", List.of("active")), 50));
        if (!active.isEmpty()) {
          practitioner = id;
          patient = p;
          expected = active;
          break;
        }
      }
      if (patient != null) {
        break;
      }
    }
    assertThat(patient).as("a practitioner outside one patient's care relationships").isNotNull();

    String subject = "dr-glass";
    MockOAuth2Server oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    Path config = work.resolve("glass.yaml");
    Files.writeString(config, """
        server: {host: 127.0.0.1, port: 0, tls: plain}
        upstream: {baseUrl: "%s"}
        identity: {mode: oauth, issuer: "%s", jwksUri: "%s", audience: "%s"}
        policy: {requireCareRelationship: true}
        dataDir: "%s"
        """.formatted(jpa.baseUrl(), oauth.issuerUrl(WriteCheck.ISSUER_ID), oauth.jwksUrl(WriteCheck.ISSUER_ID),
        WriteCheck.AUDIENCE, work.resolve("glass-data")));
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs");
    claims.put("roles", List.of("clinician"));
    claims.put("fhirUser", "Practitioner/" + practitioner);
    claims.put("client_id", "agent-app");
    claims.put("amr", List.of("pwd", "mfa"));
    claims.put("auth_time", Instant.now().getEpochSecond());
    String token = oauth.issueToken(WriteCheck.ISSUER_ID, "agent-app", new DefaultOAuth2TokenCallback(WriteCheck.ISSUER_ID,
        subject, "at+jwt", List.of(WriteCheck.AUDIENCE), claims, 600)).serialize();
    String reason = "Unconscious patient in the emergency department, no relatives reachable";
    Map<String, Object> args = Map.of("patient_id", patient);
    try (ServerAssembly glass = new ServerAssembly(CustosConfig.load(config)); McpHttpServer glassHttp = glass.startHttp(false)) {
      var transport = HttpClientStreamableHttpTransport.builder("http://" + glassHttp.endpoint().getAuthority()).endpoint("/mcp")
          .httpRequestCustomizer((request, method, uri, body, context) -> request.header("Authorization", "Bearer " + token))
          .build();
      try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build()) {
        client.initialize();
        McpSchema.CallToolResult refused = client.callTool(new McpSchema.CallToolRequest("get_active_conditions", args));
        assertThat(refused.isError()).as("no care relationship").isTrue();
        McpSchema.CallToolResult declared = client.callTool(new McpSchema.CallToolRequest(EmergencyAccess.TOOL,
            Map.of("patient_id", patient, "reason", reason)));
        assertThat(declared.isError()).as("break-the-glass declared").isFalse();
        McpSchema.CallToolResult read = client.callTool(new McpSchema.CallToolRequest("get_active_conditions", args));
        assertThat(read.isError()).as("read under break-the-glass").isFalse();
        @SuppressWarnings("unchecked")
        Map<String, Object> structured = (Map<String, Object>) read.structuredContent();
        List<?> items = (List<?>) structured.get("items");
        assertThat(items.stream().map(i -> String.valueOf(((Map<?, ?>) i).get("id"))).toList()).as("the JPA server's active conditions")
            .containsExactlyInAnyOrderElementsOf(expected);
      }
      List<AuditEvent> events = new ArrayList<>();
      LedgerEvents.forEach(glass.ledgerDir(), LocalKeySource.open(glass.dataDir().resolve("keys")).ledgerAead(),
          stored -> events.add(stored.event()));
      List<AuditEvent> own = events.stream().filter(e -> e.subject().equals(subject)).toList();
      assertThat(own).filteredOn(e -> e.phase() != AuditEvent.Phase.INTENT)
          .extracting(e -> e.tool() + " " + e.outcome() + " " + e.breakGlass() + " " + e.purposeOfUse())
          .containsSubsequence(
              "get_active_conditions no_care_relationship false TREAT",
              EmergencyAccess.TOOL + " break_the_glass_declared true ETREAT",
              "get_active_conditions success true ETREAT");
      assertThat(own).filteredOn(AuditEvent::breakGlass).extracting(AuditEvent::breakGlassReason).containsOnly(reason);
      assertThat(events.toString()).as("patients only as pseudonyms").doesNotContain(patient);
    } finally {
      oauth.shutdown();
    }
  }

  /** Runs last: everything this JVM logged and printed during the run, and Custos's data directories. */
  @Test
  @Order(Integer.MAX_VALUE)
  void noIdentifierOfAnyFixturePatientReachesCustosLogsOrDataFiles() throws Exception {
    Map<String, Set<String>> identifiers = PhiLogCapture.identifiers(
        embedded.repository().all("Patient").stream().map(Patient.class::cast).toList());
    List<String> haystacks = logs.haystacks();
    try (var dirs = Files.list(work)) {
      for (Path dir : dirs.filter(Files::isDirectory).toList()) {
        haystacks.addAll(PhiLogCapture.dataFiles(dir));
      }
    }
    assertThat(logs.logRecords()).as("log output was captured").isPositive();
    assertThat(PhiLogCapture.count(identifiers)).isGreaterThan(40);
    assertThat(PhiLogCapture.hits(identifiers, haystacks)).as("patient identifiers found in logs or data files").isEmpty();
  }

  private static FhirUpstream upstream(String baseUrl) {
    return new HapiFhirUpstream(FHIR, baseUrl, Duration.ofSeconds(30), List.of());
  }

  private static List<String> patients() {
    return embedded.repository().all("Patient").stream().map(p -> p.getIdElement().getIdPart()).toList();
  }

  /** Every id the search finds, following next links. */
  private static List<String> ids(FhirUpstream upstream, UpstreamRequest.Search search) {
    List<String> ids = new ArrayList<>();
    SearchPage page = upstream.execute(search);
    for (int pages = 0; pages < 100; pages++) {
      page.resources().stream().map(Resource::getIdElement).map(i -> i.getIdPart()).forEach(ids::add);
      if (page.nextLink().isEmpty()) {
        break;
      }
      page = upstream.nextPage(page.nextLink().get());
    }
    return ids;
  }
}
