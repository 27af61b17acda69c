package io.custos.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.auth.ClaimsMapping;
import io.custos.compliance.ComplianceReport;
import io.custos.policy.AlertSink;
import io.custos.state.InProcessStateStore;
import io.custos.writes.Proposal;
import io.custos.writes.ProposalStore;
import io.custos.writes.TestProposals;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's security over real HTTP: OpenID Connect code + PKCE sign-in at a real (mock) identity provider with an
 * interactive login, MFA and role refusals, session id rotation at sign-in, CSRF tokens, anti-framing headers, and
 * planted markup rendered inert.
 */
class ConsoleSecurityTest {
  private static final String PLANTED = "<script>alert(1)</script><img src=x onerror=alert(2)>";
  private static final String MFA = "{\"roles\":[\"privacy-officer\"],\"amr\":[\"pwd\",\"otp\",\"mfa\"]}";

  @TempDir Path dir;
  private MockOAuth2Server idp;
  private Server jetty;
  private MerkleLedger ledger;
  private String base;
  private final ProposalStore proposals = new ProposalStore(InProcessStateStore.create().proposals());
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  @BeforeEach
  void start() throws Exception {
    idp = new MockOAuth2Server(new OAuth2Config(true, null, null, false, new OAuth2TokenProvider(), Set.of()));
    idp.start(InetAddress.getByName("127.0.0.1"), 0);
    var keys = LocalKeySource.openOrCreate(dir.resolve("keys"));
    Path ledgerDir = dir.resolve("ledger");
    ledger = MerkleLedger.open(ledgerDir, keys);
    ledger.append(new AuditEvent("ev-bg", "call-bg", Instant.now(), AuditEvent.Phase.RESULT, "dr-who", null, "agent", null, null,
        Set.of("clinician"), "read_notes", "DocumentReference", List.of("pseud-1"), null, "success", 2, null, 0, "127.0.0.1",
        "test", true, PLANTED, "ETREAT", List.of()));
    Path alerts = dir.resolve("alerts.jsonl");
    var alert = new AlertSink.Alert("a-1", PLANTED, AlertSink.Severity.HIGH, "dr-who", List.of("pseud-1"), Instant.now(),
        Instant.now(), 3, List.of("ev-bg"), "call-bg");
    Files.writeString(alerts, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(alert.document()) + "\n");
    int port;
    try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    base = "http://127.0.0.1:" + port;
    var servlet = new ConsoleServlet(new ConsoleServlet.Settings(
        ConsoleServlet.relyingParty(idp.issuerUrl("console").toString(), "custos-console", base),
        new ClaimsMapping("roles", List.of("mfa"), List.of()), Duration.ofMinutes(15),
        new LedgerView(ledgerDir, keys, ledger, id -> List.of("pseud-1")), ledgerDir.resolve("notes.jsonl"),
        new JsonLinesAlertLog(alerts), null, proposals, () -> new ComplianceReport(Instant.now(), "test", List.of()), "test",
        Clock.systemUTC()));
    jetty = serve(servlet, port);
  }

  /** Serves {@code servlet} at {@code /console/*} on 127.0.0.1:{@code port}, started. */
  static Server serve(ConsoleServlet servlet, int port) throws Exception {
    Server jetty = new Server();
    ServerConnector c = new ServerConnector(jetty);
    c.setHost("127.0.0.1");
    c.setPort(port);
    jetty.addConnector(c);
    ServletContextHandler ctx = new ServletContextHandler("/");
    ctx.addServlet(new ServletHolder(servlet), "/console/*");
    jetty.setHandler(ctx);
    jetty.start();
    return jetty;
  }

  @AfterEach
  void stop() throws Exception {
    jetty.stop();
    idp.shutdown();
    ledger.close();
  }

  @Test
  void signInWithMfaRotatesTheSessionIdAndServesPagesThatCannotBeFramed() throws Exception {
    String[] ids = signIn("officer-1", MFA);
    assertThat(ids[1]).isNotEqualTo(ids[0]);
    HttpResponse<String> page = get("/console/", ids[1]);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("Ledger integrity");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("frame-ancestors 'none'").contains("default-src 'none'").doesNotContain("script-src");
    assertThat(page.headers().firstValue("X-Frame-Options")).contains("DENY");
    // the id planted before sign-in (fixation) is worthless afterwards
    assertThat(get("/console/", ids[0]).statusCode()).isEqualTo(401);
  }

  @Test
  void theSessionCookieIsHttpOnlySecureAndSameSite() throws Exception {
    HttpResponse<String> start = get("/console/signin", null);
    String cookie = start.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie).startsWith("__Host-custos-console=").contains("HttpOnly").contains("Secure").contains("SameSite=Lax")
        .contains("Path=/");
    assertThat(start.headers().firstValue("Location").orElseThrow()).contains("code_challenge_method=S256")
        .contains("code_challenge=").contains("nonce=").contains("state=");
  }

  @Test
  void signInReturnsOnlyToAConsolePage() throws Exception {
    String[] page = signIn("/console/signin?next=%2Fconsole%2Fbreak-glass", "officer-6", MFA);
    assertThat(lastLocation).isEqualTo("/console/break-glass");
    signIn("/console/signin?next=https%3A%2F%2Fevil.example%2F", "officer-6", MFA);
    assertThat(lastLocation).isEqualTo("/console/");
    signIn("/console/signin?next=%2F%2Fevil.example%2Fconsole%2Fx", "officer-6", MFA);
    assertThat(lastLocation).isEqualTo("/console/");
    assertThat(page[1]).isNotNull();
  }

  @Test
  void withoutMfaTheConsoleIsRefused() throws Exception {
    String[] ids = signIn("officer-2", "{\"roles\":[\"privacy-officer\"],\"amr\":[\"pwd\"]}");
    assertThat(ids[1]).isNull();
    assertThat(lastStatus).isEqualTo(403);
    assertThat(get("/console/", ids[0]).statusCode()).isEqualTo(401);
  }

  @Test
  void withoutAConsoleRoleTheConsoleIsRefused() throws Exception {
    String[] ids = signIn("nurse-1", "{\"roles\":[\"nurse\"],\"amr\":[\"mfa\"]}");
    assertThat(ids[1]).isNull();
    assertThat(lastStatus).isEqualTo(403);
  }

  @Test
  void aClinicianSeesApprovalsOnly() throws Exception {
    String[] ids = signIn("dr-1", "{\"roles\":[\"clinician\"],\"amr\":[\"mfa\"]}");
    assertThat(get("/console/alerts", ids[1]).statusCode()).isEqualTo(403);
    assertThat(get("/console/compliance/report.json", ids[1]).statusCode()).isEqualTo(403);
  }

  @Test
  void aPostWithoutTheCsrfTokenOrFromAnotherOriginIsRefusedAndRecordsNothing() throws Exception {
    String[] ids = signIn("officer-3", MFA);
    long before = ledger.size();
    HttpResponse<String> forged = post("/console/alerts/action", ids[1], "alert_id=a-1&action=acknowledge&note=x");
    assertThat(forged.statusCode()).isEqualTo(403);
    HttpResponse<String> wrong = post("/console/alerts/action", ids[1], "csrf=guess&alert_id=a-1&action=acknowledge");
    assertThat(wrong.statusCode()).isEqualTo(403);
    String csrf = csrf(get("/console/alerts", ids[1]).body());
    HttpResponse<String> crossSite = post("/console/alerts/action", ids[1], "csrf=" + csrf + "&alert_id=a-1&action=acknowledge",
        "https://evil.example");
    assertThat(crossSite.statusCode()).isEqualTo(403);
    HttpResponse<String> nullOrigin = post("/console/alerts/action", ids[1], "csrf=" + csrf + "&alert_id=a-1&action=acknowledge",
        "null");
    assertThat(nullOrigin.statusCode()).isEqualTo(403);
    assertThat(ledger.size()).isEqualTo(before);
  }

  @Test
  void acknowledgingAnAlertIsALedgerEventAndItsNoteIsShown() throws Exception {
    String[] ids = signIn("officer-4", MFA);
    String csrf = csrf(get("/console/alerts", ids[1]).body());
    long before = ledger.size();
    HttpResponse<String> done = post("/console/alerts/action", ids[1], "csrf=" + csrf + "&alert_id=a-1&action=close&note="
        + URLEncoder.encode("checked with " + PLANTED, StandardCharsets.UTF_8));
    assertThat(done.statusCode()).isEqualTo(302);
    assertThat(ledger.size()).isEqualTo(before + 1);
    String page = get("/console/alerts", ids[1]).body();
    assertThat(page).contains("closed by officer-4").contains("checked with &lt;script&gt;");
  }

  @Test
  void escalatingAnAlertOpensOneIncidentThatTheAlertPageLinks() throws Exception {
    String[] ids = signIn("officer-7", MFA);
    String csrf = csrf(get("/console/alerts", ids[1]).body());
    long before = ledger.size();
    assertThat(post("/console/alerts/action", ids[1], "csrf=" + csrf + "&alert_id=a-1&action=escalate").statusCode())
        .isEqualTo(302);
    assertThat(ledger.size()).isEqualTo(before + 2); // the incident's opening, then the escalation
    List<Path> records;
    try (var files = Files.list(dir.resolve("incidents"))) {
      records = files.toList();
    }
    assertThat(records).hasSize(1);
    String incident = records.get(0).getFileName().toString().replace(".json", "");

    assertThat(get("/console/alerts", ids[1]).body()).contains("href=\"/console/incidents/" + incident + "\"")
        .contains("escalated by officer-7");
    HttpResponse<String> page = get("/console/incidents/" + incident, ids[1]);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("a-1").contains("pseud-1").contains("custos.incident.open by officer-7")
        .doesNotContain("<script>");
    // a second escalation is recorded but opens no second incident
    assertThat(post("/console/alerts/action", ids[1], "csrf=" + csrf + "&alert_id=a-1&action=escalate").statusCode())
        .isEqualTo(302);
    try (var files = Files.list(dir.resolve("incidents"))) {
      assertThat(files.count()).isEqualTo(1);
    }
    // an incident record edited after its ledger event no longer shows
    Files.writeString(records.get(0), Files.readString(records.get(0)).replace("pseud-1", "pseud-2"));
    assertThat(get("/console/incidents/" + incident, ids[1]).statusCode()).isEqualTo(404);
    assertThat(get("/console/incidents/not-an-id", ids[1]).statusCode()).isEqualTo(404);
  }

  @Test
  void aPageLinkedFromAnotherSiteIsShownAndAuditedOnlyAfterTheSignedInPersonsOwnClick() throws Exception {
    String[] officer = signIn("officer-8", MFA);
    assertThat(post("/console/alerts/action", officer[1], "csrf=" + csrf(get("/console/alerts", officer[1]).body())
        + "&alert_id=a-1&action=escalate").statusCode()).isEqualTo(302);
    String incident;
    try (var files = Files.list(dir.resolve("incidents"))) {
      incident = files.findFirst().orElseThrow().getFileName().toString().replace(".json", "");
    }
    String[] clinician = signIn("dr-4", "{\"roles\":[\"clinician\"],\"amr\":[\"mfa\"]}");
    // the sign-in's landing page arrives through the identity provider's cross-site redirects: shown, once
    assertThat(get("/console/approvals", clinician[1], "cross-site").body()).doesNotContain("Open the page");
    long before = ledger.size();

    // SameSite=Lax sends the session cookie on another site's top-level link: nothing is shown or recorded
    for (String site : List.of("cross-site", "same-site")) {
      HttpResponse<String> look = get("/console/incidents/" + incident, officer[1], site);
      assertThat(look.statusCode()).isEqualTo(200);
      assertThat(look.body()).contains("href=\"/console/incidents/" + incident + "\"").doesNotContain("pseud-1");
      assertThat(get("/console/approvals", clinician[1], site).body()).contains("href=\"/console/approvals\"")
          .contains("Open the page");
    }
    assertThat(ledger.size()).isEqualTo(before);

    // the person's own click (same origin) or a typed address shows the page and records the look
    HttpResponse<String> clicked = get("/console/incidents/" + incident, officer[1], "same-origin");
    assertThat(clicked.statusCode()).isEqualTo(200);
    assertThat(clicked.body()).contains("pseud-1").doesNotContain("Open the page");
    assertThat(get("/console/approvals", clinician[1], "none").body()).doesNotContain("Open the page");
    assertThat(ledger.size()).isEqualTo(before + 2);
  }

  @Test
  void aClinicianListsOnlyTheirOwnUndecidedUnexpiredProposals() throws Exception {
    Instant now = Instant.now();
    Proposal mine = TestProposals.note(ProposalStore.newId(), "dr-2", now);
    Proposal decided = TestProposals.note(ProposalStore.newId(), "dr-2", now);
    Proposal expired = TestProposals.note(ProposalStore.newId(), "dr-2", now.minus(Duration.ofMinutes(20)));
    Proposal theirs = TestProposals.note(ProposalStore.newId(), "dr-3", now);
    for (Proposal p : List.of(mine, decided, expired, theirs)) {
      proposals.add(p, now);
    }
    proposals.reject(decided.id(), "dr-2", now);
    String[] ids = signIn("dr-2", "{\"roles\":[\"clinician\"],\"amr\":[\"mfa\"]}");
    long before = ledger.size();

    HttpResponse<String> page = get("/console/approvals", ids[1]);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("href=\"/console/approvals/" + mine.id() + "\"").contains("pseud-1")
        .contains(mine.createdAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
        .contains(mine.expiresAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
        .doesNotContain(decided.id()).doesNotContain(expired.id()).doesNotContain(theirs.id()).doesNotContain(">p1<");
    assertThat(ledger.size()).isEqualTo(before + 1); // the listing is a ledger event
  }

  @Test
  void markupPlantedInAnAlertAndABreakTheGlassReasonIsInert() throws Exception {
    String[] ids = signIn("officer-5", MFA);
    for (String path : List.of("/console/alerts", "/console/break-glass")) {
      String body = get(path, ids[1]).body();
      assertThat(body).doesNotContain("<script>").doesNotContain("<img src=x").contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
  }

  // --- a browser's part, by hand ---------------------------------------------------------------------

  private int lastStatus;
  private String lastLocation;

  private String[] signIn(String user, String claims) throws Exception {
    return signIn("/console/signin", user, claims);
  }

  /** Signs in through the provider's interactive login; returns {pre-sign-in session id, signed-in session id or null}. */
  private String[] signIn(String signInPath, String user, String claims) throws Exception {
    HttpResponse<String> start = get(signInPath, null);
    String pre = cookie(start).orElseThrow();
    URI authorize = URI.create(start.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> login = http.send(HttpRequest.newBuilder(authorize).POST(HttpRequest.BodyPublishers.ofString(
        "username=" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "&claims=" + URLEncoder.encode(claims, StandardCharsets.UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
    URI back = URI.create(login.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> done = get(back.getRawPath() + "?" + back.getRawQuery(), pre);
    lastStatus = done.statusCode();
    lastLocation = done.headers().firstValue("Location").orElse(null);
    return new String[] {pre, done.statusCode() == 302 ? cookie(done).orElse(null) : null};
  }

  private HttpResponse<String> get(String path, String session) throws Exception {
    return get(path, session, null);
  }

  /** A GET as a browser sends it, with Fetch Metadata {@code Sec-Fetch-Site: site} unless null. */
  private HttpResponse<String> get(String path, String session, String site) throws Exception {
    var b = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (session != null) {
      b.header("Cookie", ConsoleServlet.COOKIE + "=" + session);
    }
    if (site != null) {
      b.header("Sec-Fetch-Site", site);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String session, String form) throws Exception {
    return post(path, session, form, base);
  }

  private HttpResponse<String> post(String path, String session, String form, String origin) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).POST(HttpRequest.BodyPublishers.ofString(form))
        .header("Content-Type", "application/x-www-form-urlencoded").header("Origin", origin)
        .header("Cookie", ConsoleServlet.COOKIE + "=" + session).build(), HttpResponse.BodyHandlers.ofString());
  }

  static Optional<String> cookie(HttpResponse<?> r) {
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(ConsoleServlet.COOKIE + "="))
        .map(c -> c.substring(ConsoleServlet.COOKIE.length() + 1, c.indexOf(';'))).filter(v -> !v.isEmpty()).findFirst();
  }

  static String csrf(String html) {
    Matcher m = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(html);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }
}
