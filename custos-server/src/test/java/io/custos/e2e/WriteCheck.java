package io.custos.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.mcp.http.McpHttpServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * The human-approved write tools end to end, against any FHIR upstream holding the Synthea fixture: two running
 * Custos servers ({@code oauth} identity with real signed tokens from mock-oauth2-server; the second with a 4-second
 * proposal lifetime) and the official TypeScript MCP SDK client ({@code e2e/write-check.mjs}), which proposes,
 * approves (by MCP elicitation and through the approval endpoint) and commits every write tool, reads the writes
 * back through the read tools and the FHIR upstream, and checks every refusal: self-approval with the agent's token,
 * payload swapped after approval, expired, replayed, wrong user, wrong role.
 */
final class WriteCheck implements AutoCloseable {
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";

  private final String fhirBase;
  private final MockOAuth2Server oauth;
  private final Path work;
  private final String patient;
  private final String practitioner;
  private final String condition;
  private final ServerAssembly app;
  private final ServerAssembly shortTtlApp;
  private final McpHttpServer http;
  private final McpHttpServer shortTtlHttp;

  /**
   * Starts the identity provider and both Custos servers in front of {@code fhirBase}.
   *
   * @param picks the fixture as loaded (same ids): where the patient, practitioner and condition are picked
   */
  WriteCheck(String fhirBase, InMemoryRepository picks) throws Exception {
    this.fhirBase = fhirBase;
    Files.createDirectories(ClientScript.LOGS);
    work = Files.createTempDirectory("custos-writes-e2e");
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    String p = null;
    String c = null;
    for (IBaseResource r : picks.all("Patient")) {
      String id = r.getIdElement().getIdPart();
      if (!picks.forPatient("Coverage", id).isEmpty() && !picks.forPatient("Condition", id).isEmpty()) {
        p = id;
        c = picks.forPatient("Condition", id).get(0).getIdElement().getIdPart();
        break;
      }
    }
    patient = p;
    condition = c;
    practitioner = ((org.hl7.fhir.r4.model.Schedule) picks.all("Schedule").get(0)).getActorFirstRep().getReferenceElement().getIdPart();
    app = new ServerAssembly(config("main", null));
    http = app.startHttp(false);
    shortTtlApp = new ServerAssembly(config("short", 4));
    shortTtlHttp = shortTtlApp.startHttp(false);
  }

  @Override
  public void close() {
    for (AutoCloseable c : new AutoCloseable[] {http, app, shortTtlHttp, shortTtlApp}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // shutting down
      }
    }
    oauth.shutdown();
  }

  private CustosConfig config(String name, Integer ttlSeconds) {
    return new CustosConfig(
        // the short-lived-proposal server is plain HTTP on loopback: Node trusts one self-signed CA bundle subject at a time
        new CustosConfig.Server("127.0.0.1", 0, ttlSeconds == null ? "tls13" : "plain", List.of(), List.of(), null),
        new CustosConfig.Upstream(fhirBase, 10),
        new CustosConfig.Identity("oauth", oauth.issuerUrl(ISSUER_ID).toString(), oauth.jwksUrl(ISSUER_ID).toString(), AUDIENCE,
            null, null, null, null, null, null, null, null),
        // care relationships are covered by the authorization matrix; here any fixture patient
        new CustosConfig.Policy(null, false, null, null, 10_000, null, ttlSeconds, true, null), // elicitation opted in
        work.resolve(name + "-data").toString()).withDefaults().validated();
  }

  private String token(String subject, String client, String role, boolean mfa) {
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
    env.put("FHIR_BASE", fhirBase);
    env.put("CUSTOS_TOKENS", json.writeValueAsString(tokens));
    env.put("CUSTOS_PATIENT", patient);
    env.put("CUSTOS_PRACTITIONER", practitioner);
    env.put("CUSTOS_CONDITION", condition);
    env.put("CUSTOS_DATE_FROM", today.plusDays(1).toString());
    env.put("CUSTOS_DATE_TO", today.plusDays(14).toString());
    return env;
  }

  /**
   * Runs {@code e2e/write-check.mjs} to completion (client output in {@code target/e2e-logs/<logName>.log}).
   *
   * @return the number of passed checks; the script's failures fail the calling test
   */
  int run(String logName) throws Exception {
    ProcessBuilder pb = ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/write-check.mjs");
    pb.environment().putAll(env());
    return ClientScript.run(pb, logName, Duration.ofMinutes(8));
  }
}
