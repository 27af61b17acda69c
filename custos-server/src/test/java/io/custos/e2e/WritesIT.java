package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.McpHttpServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end: the human-approved write tools with the official TypeScript MCP SDK client
 * ({@code e2e/write-check.mjs}) against a running Custos (HTTPS, {@code oauth} identity with real signed tokens
 * from mock-oauth2-server, so users and clients are distinct) in front of the embedded FHIR store. For every write
 * tool: propose -> approve -> commit, once with approval by MCP elicitation (the client's elicitation handler)
 * and once through the approval endpoint with the human's own token; the writes are read back through the read
 * tools and the FHIR store. And the refusals: self-approval with the agent's token, payload swapped after
 * approval, expired (a second server with a 4-second proposal lifetime), replayed, wrong user, wrong role.
 */
class WritesIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path ROOT = MODULE.getParent();
  private static final Path LOGS = MODULE.resolve("target/e2e-logs");
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";

  private static MockOAuth2Server oauth;
  private static EmbeddedFhirStore store;
  private static ServerAssembly app;
  private static ServerAssembly shortTtlApp;
  private static McpHttpServer http;
  private static McpHttpServer shortTtlHttp;
  private static Path work;
  private static String patient;
  private static String practitioner;
  private static String condition;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(LOGS);
    work = Files.createTempDirectory("custos-writes-e2e");
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    // Slots are generated for the days after the reference instant: make that today, so they are in the future.
    store = EmbeddedFhirStore.builder().dataDirectory(MODULE.resolve("src/test/resources/fixtures/synthea")).port(0)
        .referenceInstant(Instant.now().truncatedTo(ChronoUnit.DAYS)).build().start();
    var repo = store.repository();
    for (IBaseResource r : repo.all("Patient")) {
      String id = r.getIdElement().getIdPart();
      if (!repo.forPatient("Coverage", id).isEmpty() && !repo.forPatient("Condition", id).isEmpty()) {
        patient = id;
        condition = repo.forPatient("Condition", id).get(0).getIdElement().getIdPart();
        break;
      }
    }
    practitioner = ((org.hl7.fhir.r4.model.Schedule) repo.all("Schedule").get(0)).getActorFirstRep().getReferenceElement().getIdPart();
    app = new ServerAssembly(config("main", null));
    http = app.startHttp(false);
    shortTtlApp = new ServerAssembly(config("short", 4));
    shortTtlHttp = shortTtlApp.startHttp(false);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {http, app, shortTtlHttp, shortTtlApp, store}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // shutting down
      }
    }
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  static CustosConfig config(String name, Integer ttlSeconds) {
    return new CustosConfig(
        // the short-lived-proposal server is plain HTTP on loopback: Node trusts one self-signed CA bundle subject at a time
        new CustosConfig.Server("127.0.0.1", 0, ttlSeconds == null ? "tls13" : "plain", List.of(), List.of(), null),
        new CustosConfig.Upstream(store.baseUrl(), 10),
        new CustosConfig.Identity("oauth", oauth.issuerUrl(ISSUER_ID).toString(), oauth.jwksUrl(ISSUER_ID).toString(), AUDIENCE,
            null, null, null, null, null, null, null, null),
        // care relationships are covered by the authorization matrix; here any fixture patient
        new CustosConfig.Policy(null, false, null, null, 10_000, null, ttlSeconds, true), // elicitation opted in
        work.resolve(name + "-data").toString()).withDefaults().validated();
  }

  static String token(String subject, String client, String role, boolean mfa) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs user/*.c");
    claims.put("roles", List.of(role));
    claims.put("fhirUser", "Practitioner/" + (subject.equals("alice") ? practitioner : subject));
    claims.put("client_id", client);
    claims.put("auth_time", Instant.now().getEpochSecond());
    if (mfa) {
      claims.put("amr", List.of("pwd", "mfa"));
    }
    return oauth.issueToken(ISSUER_ID, client, new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt", List.of(AUDIENCE),
        claims, 3600)).serialize();
  }

  private Map<String, String> env() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("agent", token("alice", "agent-app", "clinician", true));
    tokens.put("human", token("alice", "approval-app", "clinician", true));
    tokens.put("human_no_mfa", token("alice", "approval-app", "clinician", false));
    tokens.put("human_wrong_role", token("alice", "approval-app", "front-desk", true));
    tokens.put("other_agent", token("bob", "agent-app", "clinician", true));
    tokens.put("other_human", token("bob", "approval-app", "clinician", true));
    tokens.put("front_desk_agent", token("carol", "agent-app", "front-desk", true));
    tokens.put("billing_agent", token("dave", "agent-app", "billing", true));
    Path ca = app.dataDir().resolve("tls/certificate.pem");
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    Map<String, String> env = new HashMap<>();
    env.put("CUSTOS_ENDPOINT", http.endpoint().toString());
    env.put("CUSTOS_SHORT_TTL_ENDPOINT", shortTtlHttp.endpoint().toString());
    env.put("CUSTOS_SHORT_TTL_SECONDS", "4");
    env.put("CUSTOS_CA_CERT", ca.toString());
    env.put("FHIR_BASE", store.baseUrl());
    env.put("CUSTOS_TOKENS", json.writeValueAsString(tokens));
    env.put("CUSTOS_PATIENT", patient);
    env.put("CUSTOS_PRACTITIONER", practitioner);
    env.put("CUSTOS_CONDITION", condition);
    env.put("CUSTOS_DATE_FROM", today.plusDays(1).toString());
    env.put("CUSTOS_DATE_TO", today.plusDays(14).toString());
    return env;
  }

  @Test
  void typescriptSdkClientProposesApprovesAndCommitsEveryWriteToolAndEveryRefusalHolds() throws Exception {
    ProcessBuilder pb = ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/write-check.mjs");
    pb.environment().putAll(env());
    assertThat(ClientScript.run(pb, "write-check", Duration.ofMinutes(8))).as("checks run").isGreaterThanOrEqualTo(33);
  }
}
