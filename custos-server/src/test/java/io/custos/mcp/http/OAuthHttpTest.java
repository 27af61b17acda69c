package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.JSON;
import static io.custos.mcp.http.HttpTestSupport.assertJsonRpcError;
import static io.custos.mcp.http.HttpTestSupport.assertNoInternals;
import static io.custos.mcp.http.HttpTestSupport.post;
import static io.custos.mcp.http.HttpTestSupport.response;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running Custos in {@code oauth} mode over HTTPS, with tokens from a real OAuth server (mock-oauth2-server):
 * 401 challenges and RFC 9728 metadata, forged tokens, scope and MFA step-up challenges, role-filtered
 * {@code tools/list}, session binding, DELETE, idle logoff and rate limits.
 */
class OAuthHttpTest {
  static final String AUDIENCE = "https://custos.test/mcp";
  static final String ISSUER_ID = "custos";
  static final String CLIENT = "custos-http-client";
  static final String VERSION = "2025-11-25";

  @TempDir
  static Path dataDir;
  static MockOAuth2Server oauth;
  static String issuer;
  static ServerAssembly assembly;
  static McpHttpServer http;
  static SSLContext ssl;
  static HttpClient client;
  static String patient;
  static final AtomicInteger ids = new AtomicInteger(1000);

  @BeforeAll
  static void start() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    issuer = oauth.issuerUrl(ISSUER_ID).toString();
    assembly = new ServerAssembly(config(dataDir, null));
    http = assembly.startHttp(false);
    ssl = HttpTestSupport.trustOnly(dataDir.resolve("tls").resolve("certificate.pem"));
    client = HttpTestSupport.client(ssl);
    patient = HttpTestSupport.fixturePatientIds().get(0);
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (assembly != null) {
      assembly.close();
    }
    if (oauth != null) {
      oauth.shutdown();
    }
  }

  static CustosConfig config(Path dir, Integer rateLimitPerMinute) {
    return new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), null),
        new CustosConfig.Upstream(HttpTestSupport.store().baseUrl(), 10),
        new CustosConfig.Identity("oauth", issuer, oauth.jwksUrl(ISSUER_ID).toString(), AUDIENCE, null, null, null, null, null,
            null, null, null),
        // Any fixture patient: care relationships are covered by AuthorizationMatrixTest.
        new CustosConfig.Policy(null, false, null, null, rateLimitPerMinute),
        dir.toString()).withDefaults().validated();
  }

  // --- tokens and raw MCP over HTTP ----------------------------------------------------------

  static String token(String subject, String client, String role, String scope, boolean mfa) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", scope);
    claims.put("roles", List.of(role));
    claims.put("fhirUser", "Practitioner/" + subject);
    claims.put("client_id", client);
    claims.put("auth_time", Instant.now().getEpochSecond());
    if (mfa) {
      claims.put("amr", List.of("pwd", "mfa"));
    }
    return oauth.issueToken(ISSUER_ID, client, new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt", List.of(AUDIENCE),
        claims, 3600)).serialize();
  }

  static String token(String subject, String role) {
    return token(subject, CLIENT, role, "openid fhirUser user/*.rs", true);
  }

  static HttpRequest.Builder authorized(HttpRequest.Builder b, String token) {
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  static HttpResponse<String> initialize(URI endpoint, String token) throws Exception {
    return send(client, authorized(post(endpoint, HttpTestSupport.initializeBody(VERSION)), token).build());
  }

  static String open(URI endpoint, String token) throws Exception {
    return open(client, endpoint, token);
  }

  /** initialize + notifications/initialized with {@code token}; returns the session id. */
  static String open(HttpClient client, URI endpoint, String token) throws Exception {
    HttpResponse<String> init = send(client, authorized(post(endpoint, HttpTestSupport.initializeBody(VERSION)), token).build());
    assertThat(init.statusCode()).as("initialize: %s", init.body()).isEqualTo(200);
    String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<String> note = send(client, authorized(post(endpoint, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")
        .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION), token).build());
    assertThat(note.statusCode()).as("initialized: %s", note.body()).isEqualTo(202);
    return sid;
  }

  static String open(String token) throws Exception {
    return open(http.endpoint(), token);
  }

  static HttpResponse<String> rpc(URI endpoint, String token, String sid, int id, String method, String params) throws Exception {
    return send(client, authorized(post(endpoint, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method
        + "\",\"params\":" + params + "}").header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION), token).build());
  }

  static HttpResponse<String> callTool(URI endpoint, String token, String sid, int id, String tool, String args) throws Exception {
    return rpc(endpoint, token, sid, id, "tools/call", "{\"name\":\"" + tool + "\",\"arguments\":" + args + "}");
  }

  static HttpResponse<String> callTool(String token, String sid, int id, String tool, String args) throws Exception {
    return callTool(http.endpoint(), token, sid, id, tool, args);
  }

  static String patientArgs() {
    return "{\"patient_id\":\"" + patient + "\"}";
  }

  static String challenge(HttpResponse<String> r) {
    return r.headers().firstValue("WWW-Authenticate").orElseThrow(() -> new AssertionError("no WWW-Authenticate: " + r.body()));
  }

  static String metadataUrl(McpHttpServer server) {
    return "https://127.0.0.1:" + server.port() + "/.well-known/oauth-protected-resource/mcp";
  }

  /** Asserts a 200 tools/call result that carries data, and returns it. */
  static JsonNode assertToolData(HttpResponse<String> r, int id) throws Exception {
    assertThat(r.statusCode()).as("tools/call: %s", r.body()).isEqualTo(200);
    JsonNode result = response(r, id).path("result");
    assertThat(result.path("isError").asBoolean(false)).as("isError: %s", r.body()).isFalse();
    assertThat(result.path("structuredContent").isObject()).as("structuredContent: %s", r.body()).isTrue();
    return result;
  }

  // --- 401 challenge and metadata ------------------------------------------------------------

  @Test
  void noTokenGets401WithResourceMetadataAndScopeChallenge() throws Exception {
    HttpResponse<String> r = initialize(http.endpoint(), null);
    assertJsonRpcError(r, 401);
    String challenge = challenge(r);
    assertThat(challenge).startsWith("Bearer ")
        .contains("resource_metadata=\"" + metadataUrl(http) + "\"")
        .contains("scope=\"")
        .contains("user/*.rs")
        .doesNotContain("error="); // no credential presented: no error code (RFC 6750 section 3.1)
    // Every method on /mcp needs the token, not only initialize.
    for (HttpRequest.Builder b : List.of(HttpRequest.newBuilder(http.endpoint()).GET().header("Accept", "text/event-stream"),
        HttpRequest.newBuilder(http.endpoint()).DELETE().header("Mcp-Session-Id", "x"))) {
      HttpResponse<String> other = send(client, b.timeout(Duration.ofSeconds(30)).build());
      assertThat(other.statusCode()).isEqualTo(401);
      assertThat(challenge(other)).contains("resource_metadata=");
    }
  }

  @Test
  void protectedResourceMetadataAtBothWellKnownPaths() throws Exception {
    for (String path : List.of("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource")) {
      HttpResponse<String> r = send(client, HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + http.port() + path))
          .timeout(Duration.ofSeconds(30)).GET().build());
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
      JsonNode m = JSON.readTree(r.body());
      assertThat(m.path("resource").asText()).isEqualTo(AUDIENCE);
      assertThat(m.path("authorization_servers").size()).isEqualTo(1);
      assertThat(m.path("authorization_servers").get(0).asText()).isEqualTo(issuer);
      assertThat(m.path("scopes_supported").toString()).contains("user/*.rs", "patient/*.rs");
      assertThat(m.path("bearer_methods_supported").toString()).isEqualTo("[\"header\"]");
    }
    // The issuer named there really is an authorization server (OIDC discovery works).
    HttpResponse<String> discovery = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(oauth.wellKnownUrl(ISSUER_ID).toString())).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(discovery.body()).path("issuer").asText()).isEqualTo(issuer);
  }

  @Test
  void forgedTokensGet401InvalidTokenWithNoDetail() throws Exception {
    String valid = token("mallory", "clinician");
    SignedJWT real = SignedJWT.parse(valid);
    RSAKey attacker = new RSAKeyGenerator(2048).keyID("attacker").generate();
    SignedJWT selfSigned = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("attacker")
        .type(new JOSEObjectType("at+jwt")).build(), real.getJWTClaimsSet());
    selfSigned.sign(new RSASSASigner(attacker));
    List<String> forged = List.of(
        new PlainJWT(real.getJWTClaimsSet()).serialize(),
        selfSigned.serialize(),
        oauth.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, "mallory", "at+jwt", List.of(AUDIENCE),
            Map.of("scope", "user/*.rs", "roles", List.of("clinician"), "amr", List.of("mfa")), -300)).serialize(),
        oauth.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, "mallory", "at+jwt",
            List.of("https://other-rs.test/api"), Map.of("scope", "user/*.rs", "roles", List.of("clinician")), 3600)).serialize(),
        valid.substring(0, valid.length() - 4) + "AAAA",
        "not-a-jwt");
    Set<String> bodies = new HashSet<>();
    Set<String> challenges = new HashSet<>();
    for (String t : forged) {
      HttpResponse<String> r = initialize(http.endpoint(), t);
      assertJsonRpcError(r, 401);
      String challenge = challenge(r);
      assertThat(challenge).contains("error=\"invalid_token\"").doesNotContain("error_description", "expired", "audience",
          "signature", "kid", "alg");
      assertThat(r.body()).doesNotContainIgnoringCase("expired").doesNotContain("mallory", "audience", "signature", "Bad");
      assertThat(r.headers().firstValue("Mcp-Session-Id")).isEmpty();
      bodies.add(r.body().replaceAll("\"id\":[^,}]*", ""));
      challenges.add(challenge);
    }
    // Every forgery gets the very same answer: nothing tells the caller which check failed.
    assertThat(challenges).hasSize(1);
    assertThat(bodies).hasSize(1);
  }

  @Test
  void refusalWrittenBeforeTheBodyArrivesDoesNotLeaveADeadKeepAliveConnection() throws Exception {
    // The 401 is written before the request body is read. If the body arrives late, Jetty closes the
    // connection afterwards; the response must say so (Connection: close), or the connection must stay usable.
    String body = HttpTestSupport.initializeBody(VERSION);
    String head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + http.port() + "\r\nContent-Type: application/json\r\n"
        + "Accept: application/json, text/event-stream\r\nContent-Length: " + body.length() + "\r\n\r\n";
    try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", http.port())) {
      socket.setSoTimeout(1_000);
      socket.startHandshake();
      var out = socket.getOutputStream();
      out.write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      Thread.sleep(300);
      out.write(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.flush();
      StringBuilder first = new StringBuilder();
      byte[] buf = new byte[8192];
      boolean eof = false;
      try {
        for (int n; (n = socket.getInputStream().read(buf)) > 0; ) {
          first.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
        }
        eof = true;
      } catch (java.net.SocketTimeoutException stillOpen) {
        // connection kept alive
      }
      assertThat(first.toString()).startsWith("HTTP/1.1 401");
      if (eof) {
        assertThat(first.toString().toLowerCase(java.util.Locale.ROOT)).as("closed without announcing it: %s", first)
            .contains("connection: close");
      }
    }
  }

  // --- the valid path, roles, step-up, scope challenge ---------------------------------------

  @Test
  void validTokenInitializesListsAndCallsTools() throws Exception {
    String token = token("clin-valid", "clinician");
    String sid = open(token);
    HttpResponse<String> list = rpc(http.endpoint(), token, sid, 2, "tools/list", "{}");
    assertThat(list.statusCode()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    response(list, 2).path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
    // + get_prior_authorization_status (a read); write tools stay hidden without write scopes
    assertThat(names).hasSize(16).contains("get_active_conditions", "get_clinical_notes", "break_the_glass", "get_prior_authorization_status",
        "get_patient_consents");
    JsonNode result = assertToolData(callTool(token, sid, 3, "get_active_conditions", patientArgs()), 3);
    assertNoInternals(result.toString());
    assertToolData(callTool(token, sid, 4, "get_patient_demographics", patientArgs()), 4);
  }

  @Test
  void frontDeskSeesOnlyItsTools() throws Exception {
    String token = token("desk-1", "front-desk");
    String sid = open(token);
    HttpResponse<String> list = rpc(http.endpoint(), token, sid, 2, "tools/list", "{}");
    List<String> names = new ArrayList<>();
    response(list, 2).path("result").path("tools").forEach(t -> names.add(t.path("name").asText()));
    assertThat(names).containsExactlyInAnyOrder("find_patient", "get_patient_demographics", "check_coverage", "list_appointments");
    // A hidden tool is refused too, without data.
    HttpResponse<String> r = callTool(token, sid, 3, "get_active_conditions", patientArgs());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode result = response(r, 3).path("result");
    assertThat(result.path("isError").asBoolean()).isTrue();
    assertThat(result.has("structuredContent")).isFalse();
    assertThat(result.toString()).contains("forbidden");
    assertToolData(callTool(token, sid, 4, "check_coverage", patientArgs()), 4);
  }

  @Test
  void withoutMfaPhiToolsGetAStepUpChallengeNeverData() throws Exception {
    String token = token("clin-nomfa", CLIENT, "clinician", "openid fhirUser user/*.rs", false);
    String sid = open(token); // signing in without MFA is fine; reading PHI is not
    for (String tool : List.of("get_active_conditions", "get_patient_demographics", "get_clinical_notes")) {
      HttpResponse<String> r = callTool(token, sid, 5, tool, patientArgs());
      assertJsonRpcError(r, 401);
      assertThat(challenge(r)).contains("error=\"insufficient_user_authentication\"")
          .contains("resource_metadata=\"" + metadataUrl(http) + "\"");
      assertThat(r.body()).doesNotContain("structuredContent", "\"result\"");
    }
  }

  @Test
  void missingScopeGets403InsufficientScopeNamingTheScope() throws Exception {
    String token = token("clin-narrow", CLIENT, "clinician", "openid patient/Patient.rs", true);
    String sid = open(token);
    HttpResponse<String> r = callTool(token, sid, 6, "get_active_conditions", patientArgs());
    assertJsonRpcError(r, 403);
    String challenge = challenge(r);
    assertThat(challenge).contains("error=\"insufficient_scope\"").contains("resource_metadata=");
    String scope = challenge.replaceAll(".*scope=\"([^\"]*)\".*", "$1");
    assertThat(scope.split(" ")).contains("patient/Condition.rs").doesNotContain("system/Condition.rs");
    assertThat(r.body()).doesNotContain("structuredContent", "\"result\"");
  }

  @Test
  void refusalsAtTheGateAndOutsideToolCallsAreAudited() throws Exception {
    String forged = "not-a-jwt-audit-check";
    assertJsonRpcError(initialize(http.endpoint(), forged), 401);
    String narrow = token("audit-narrow", CLIENT, "clinician", "openid patient/Patient.rs", true);
    assertJsonRpcError(callTool(narrow, open(narrow), 7, "get_active_conditions", patientArgs()), 403);
    String noMfa = token("audit-nomfa", CLIENT, "clinician", "openid fhirUser user/*.rs", false);
    assertJsonRpcError(callTool(noMfa, open(noMfa), 8, "get_allergies", patientArgs()), 401);
    String reader = token("audit-reader", "clinician");
    String sid = open(reader);
    assertThat(rpc(http.endpoint(), reader, sid, 9, "prompts/get",
        "{\"name\":\"pre_visit_summary\",\"arguments\":" + patientArgs() + "}").statusCode()).isEqualTo(200);
    assertThat(rpc(http.endpoint(), reader, sid, 10, "resources/read", "{\"uri\":\"custos://policy\"}").statusCode()).isEqualTo(200);
    HttpResponse<String> unknown = rpc(http.endpoint(), reader, sid, 11, "prompts/get", "{\"name\":\"no_such_prompt_5551234567\"}");
    assertThat(unknown.body()).contains("Unknown prompt.").doesNotContain("5551234567");

    List<io.custos.audit.AuditEvent> events = new ArrayList<>();
    io.custos.audit.ledger.LedgerEvents.forEach(dataDir.resolve("ledger"),
        io.custos.audit.ledger.LocalKeySource.open(dataDir.resolve("keys")).ledgerAead(), stored -> events.add(stored.event()));
    String forgedHash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(forged.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    // A failed authentication: one DENIED event with the credential's SHA-256, never the credential.
    assertThat(events).filteredOn(e -> forgedHash.equals(e.tokenIdHash())).singleElement().satisfies(e -> {
      assertThat(e.phase()).isEqualTo(io.custos.audit.AuditEvent.Phase.DENIED);
      assertThat(e.outcome()).isEqualTo("unauthenticated");
    });
    assertThat(events.toString()).doesNotContain(forged);
    // The HTTP gate's 403 and 401 step-up are the pipeline's DENIED events.
    assertThat(events).filteredOn(e -> e.subject().equals("audit-narrow")).extracting(e -> e.phase() + " " + e.outcome())
        .containsExactly("DENIED insufficient_scope");
    assertThat(events).filteredOn(e -> e.subject().equals("audit-nomfa")).extracting(e -> e.phase() + " " + e.outcome())
        .containsExactly("DENIED insufficient_user_authentication");
    // prompts/get and resources/read are governed calls: INTENT and RESULT.
    assertThat(events).filteredOn(e -> e.subject().equals("audit-reader")).extracting(e -> e.tool() + " " + e.phase())
        .containsExactly("pre_visit_summary INTENT", "pre_visit_summary RESULT", "custos://policy INTENT", "custos://policy RESULT",
            "(undeclared) DENIED");
    assertThat(events.toString()).doesNotContain("5551234567");
  }

  // --- sessions -----------------------------------------------------------------------------

  @Test
  void sessionIsBoundToTheUserAndClientThatCreatedIt() throws Exception {
    String alice = token("alice", "clinician");
    String bob = token("bob", "clinician");
    String aliceOtherClient = token("alice", "other-client", "clinician", "openid fhirUser user/*.rs", true);
    String sid = open(alice);
    for (String intruder : List.of(bob, aliceOtherClient)) {
      assertJsonRpcError(rpc(http.endpoint(), intruder, sid, 7, "tools/list", "{}"), 403);
      HttpResponse<String> call = callTool(intruder, sid, 8, "get_active_conditions", patientArgs());
      assertJsonRpcError(call, 403);
      assertThat(call.body()).doesNotContain("structuredContent");
      HttpResponse<String> delete = send(client, authorized(HttpRequest.newBuilder(http.endpoint()).DELETE()
          .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION), intruder).build());
      assertThat(delete.statusCode()).isEqualTo(403);
    }
    // Alice's session is unharmed, and alice with a fresh token (same sub and client) may continue.
    assertToolData(callTool(alice, sid, 9, "get_active_conditions", patientArgs()), 9);
    assertToolData(callTool(token("alice", "clinician"), sid, 10, "get_allergies", patientArgs()), 10);
  }

  @Test
  void deletedSessionCannotBeReused() throws Exception {
    String alice = token("alice-del", "clinician");
    String sid = open(alice);
    HttpResponse<String> delete = send(client, authorized(HttpRequest.newBuilder(http.endpoint()).DELETE()
        .timeout(Duration.ofSeconds(30)).header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION), alice).build());
    assertThat(delete.statusCode()).as("DELETE: %s", delete.body()).isBetween(200, 204);
    HttpResponse<String> reuse = callTool(alice, sid, 11, "get_active_conditions", patientArgs());
    assertThat(reuse.statusCode()).as("reuse: %s", reuse.body()).isEqualTo(404);
    assertThat(reuse.body()).doesNotContain("structuredContent");
    assertThat(callTool(token("bob-del", "clinician"), sid, 12, "get_active_conditions", patientArgs()).statusCode()).isEqualTo(404);
  }

  /** An McpHttpServer on the assembly's MCP server with a 2-second idle limit. */
  static McpHttpServer shortIdleServer() throws Exception {
    var metadata = new McpHttpServer.ResourceMetadata(AUDIENCE, List.of(issuer), List.of("openid", "fhirUser", "user/*.rs"));
    var settings = new McpHttpServer.Settings("127.0.0.1", 0, McpHttpServer.TlsMode.TLS13,
        SelfSignedCertificate.loadOrCreate(dataDir.resolve("tls")), Set.of(), Set.of(), 1 << 20);
    return McpHttpServer.start(settings, assembly.mcp()::start, assembly.jsonMapper(),
        new McpHttpServer.Security(assembly.authenticator(), Optional.empty(), metadata, Duration.ofSeconds(2)), Readiness.none());
  }

  @Test
  void idleSessionIsLoggedOffAndStaysRefused() throws Exception {
    try (McpHttpServer idle = shortIdleServer()) {
      String alice = token("alice-idle", "clinician");
      String sid = open(idle.endpoint(), alice);
      assertToolData(callTool(idle.endpoint(), alice, sid, 20, "get_active_conditions", patientArgs()), 20);
      Thread.sleep(3_000);
      HttpResponse<String> after = callTool(idle.endpoint(), alice, sid, 21, "get_active_conditions", patientArgs());
      JsonNode error = assertJsonRpcError(after, 404);
      assertThat(error.path("error").path("message").asText()).contains("automatic logoff");
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> later = rpc(idle.endpoint(), alice, sid, 22 + i, "tools/list", "{}");
        assertThat(later.statusCode()).isEqualTo(404);
        assertThat(later.body()).contains("automatic logoff").doesNotContain("\"tools\"");
      }
      // A new session works.
      String fresh = open(idle.endpoint(), alice);
      assertToolData(callTool(idle.endpoint(), alice, fresh, 25, "get_active_conditions", patientArgs()), 25);
    }
  }

  @Test
  void sessionIdleForLongStaysLoggedOffAfterOtherSessionsStart() throws Exception {
    // Bindings idle for more than twice the limit are pruned when another session starts; the pruned session
    // must still be refused (not handed to the SDK unbound, where any user's token could use it).
    try (McpHttpServer idle = shortIdleServer()) {
      String alice = token("alice-long-idle", "clinician");
      String sid = open(idle.endpoint(), alice);
      Thread.sleep(4_500);
      String bob = token("bob-long-idle", "clinician");
      open(idle.endpoint(), bob); // triggers pruning of idle bindings
      HttpResponse<String> asAlice = callTool(idle.endpoint(), alice, sid, 30, "get_active_conditions", patientArgs());
      assertThat(asAlice.statusCode()).as("alice on her long-idle session: %s", asAlice.body()).isEqualTo(404);
      HttpResponse<String> asBob = callTool(idle.endpoint(), bob, sid, 31, "get_active_conditions", patientArgs());
      assertThat(asBob.statusCode()).as("bob on alice's long-idle session: %s", asBob.body()).isIn(403, 404);
      assertThat(asBob.body()).doesNotContain("structuredContent");
    }
  }

  // --- rate limits --------------------------------------------------------------------------

  @Test
  void fourthToolCallInAMinuteGets429WithRetryAfter() throws Exception {
    Path dir = Files.createDirectories(dataDir.resolve("ratelimited"));
    try (ServerAssembly limited = new ServerAssembly(config(dir, 3)); McpHttpServer server = limited.startHttp(false)) {
      HttpClient c = HttpTestSupport.client(HttpTestSupport.trustOnly(dir.resolve("tls").resolve("certificate.pem")));
      String carol = token("carol-rl", "clinician");
      String sid = open(c, server.endpoint(), carol);
      List<String> tools = List.of("get_active_conditions", "get_allergies", "get_medications", "get_immunizations",
          "get_vital_signs");
      for (int i = 0; i < tools.size(); i++) {
        HttpResponse<String> r = send(c, authorized(post(server.endpoint(), "{\"jsonrpc\":\"2.0\",\"id\":" + (40 + i)
            + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tools.get(i) + "\",\"arguments\":" + patientArgs() + "}}")
            .header("Mcp-Session-Id", sid).header("MCP-Protocol-Version", VERSION), carol).build());
        if (i < 3) {
          assertToolData(r, 40 + i);
        } else {
          assertJsonRpcError(r, 429);
          assertThat(r.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
              assertThat(Long.parseLong(v)).isBetween(1L, 60L));
          assertThat(r.body()).doesNotContain("structuredContent");
        }
      }
      // Another user is not affected by carol's budget.
      String dave = token("dave-rl", "clinician");
      String sid2 = open(c, server.endpoint(), dave);
      HttpResponse<String> r = send(c, authorized(post(server.endpoint(), "{\"jsonrpc\":\"2.0\",\"id\":50,\"method\":\"tools/call\","
          + "\"params\":{\"name\":\"get_allergies\",\"arguments\":" + patientArgs() + "}}")
          .header("Mcp-Session-Id", sid2).header("MCP-Protocol-Version", VERSION), dave).build());
      assertToolData(r, 50);
      // Requests without a valid credential: the address's per-minute budget is audited (401), then 429, so they
      // cannot grow the audit trail without bound.
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        statuses.add(send(c, authorized(post(server.endpoint(), HttpTestSupport.initializeBody(VERSION)), "garbage-" + i).build())
            .statusCode());
      }
      assertThat(statuses).containsExactly(401, 401, 401, 429, 429);
      List<io.custos.audit.AuditEvent> events = new ArrayList<>();
      io.custos.audit.ledger.LedgerEvents.forEach(dir.resolve("ledger"),
          io.custos.audit.ledger.LocalKeySource.open(dir.resolve("keys")).ledgerAead(), stored -> events.add(stored.event()));
      assertThat(events).filteredOn(e -> e.outcome().equals("unauthenticated")).hasSize(3);
    }
  }
}
