package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.mcp.http.HttpTestSupport;
import io.custos.mcp.http.McpHttpServer;
import io.custos.policy.AlertSink;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The compliance console in a real browser: Debian's chromium, headless, driven by Selenium through the system
 * chromedriver. A privacy officer signs in through the identity provider's login page with MFA, triages an alert,
 * reviews a break-the-glass access, re-identifies a patient for an accounting of disclosures and downloads the
 * compliance report; escalating an alert opens an incident that the alert links; a clinician finds the write an
 * agent proposed over MCP in the list of proposals waiting for them, approves it, and the agent's commit then writes
 * it; a page of another origin that frames the console gets an empty error document instead of the console.
 * Each page is checked with axe-core (no serious or critical violation) and screenshotted into
 * {@code target/console-screenshots}. Markup planted in an alert, a break-the-glass reason and a clinical note stays
 * text (no script runs: a JavaScript dialog would fail the next Selenium command), sign-in without MFA is refused, and
 * no patient identifier reaches the logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path SHOTS = MODULE.resolve("target/console-screenshots");
  private static final Path AXE = MODULE.getParent().resolve("e2e/node_modules/axe-core/axe.min.js");
  private static final String ISSUER_ID = "custos";
  private static final String AUDIENCE = "https://custos.test/mcp";
  private static final String PLANTED = "<script>alert('x')</script><img src=x onerror=alert('y')>";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static MockOAuth2Server idp;
  private static ServerAssembly app;
  private static McpHttpServer http;
  private static WebDriver browser;
  private static Path work;
  private static Path downloads;
  private static String console;
  private static String patient;
  private static HttpClient client;
  private static PhiLogCapture logs;
  private static final AtomicInteger ids = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    logs = PhiLogCapture.start();
    work = Files.createTempDirectory("custos-console-it");
    downloads = Files.createDirectories(work.resolve("downloads"));
    Files.createDirectories(SHOTS);
    idp = new MockOAuth2Server(new OAuth2Config(true, null, null, false, new OAuth2TokenProvider(), java.util.Set.of()));
    idp.start(InetAddress.getByName("127.0.0.1"), 0);
    patient = HttpTestSupport.fixturePatientIds().get(0);
    Path alerts = work.resolve("alerts.jsonl");
    Files.writeString(alerts, JSON.writeValueAsString(new AlertSink.Alert("3f1c2a9e-0000-4000-8000-000000000001", "bulk-read " + PLANTED,
        AlertSink.Severity.HIGH, "alice", List.of(), Instant.now().minusSeconds(600), Instant.now(), 42, List.of("e-1"), "c-1")
        .document()) + "\n");
    int port;
    try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    app = new ServerAssembly(new CustosConfig(new CustosConfig.Server("127.0.0.1", port, "tls13", List.of(), List.of(), null),
        new CustosConfig.Upstream(HttpTestSupport.store().baseUrl(), 10),
        new CustosConfig.Identity("oauth", idp.issuerUrl(ISSUER_ID).toString(), idp.jwksUrl(ISSUER_ID).toString(), AUDIENCE,
            null, null, null, null, null, null, null, null),
        new CustosConfig.Policy(null, true, null, null, 10_000, null, null, false), null, work.resolve("data").toString(),
        new CustosConfig.Console("custos-console", alerts.toString())).withDefaults().validated());
    http = app.startHttp(false);
    console = "https://127.0.0.1:" + port + "/console/";
    client = HttpClient.newBuilder().sslContext(HttpTestSupport.trustOnly(app.dataDir().resolve("tls/certificate.pem")))
        .version(HttpClient.Version.HTTP_1_1).build();

    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
        "--user-data-dir=" + Files.createDirectories(work.resolve("chromium-profile")), "--ignore-certificate-errors");
    options.setAcceptInsecureCerts(true);
    options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
        "download.prompt_for_download", false));
    browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new java.io.File("/usr/bin/chromedriver"))
        .usingAnyFreePort().build(), options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (http != null) {
      http.close();
    }
    if (app != null) {
      app.close();
    }
    if (idp != null) {
      idp.shutdown();
    }
    if (logs != null) {
      logs.close();
    }
  }

  @Test
  @Order(1)
  void withoutMfaTheConsoleIsRefused() throws Exception {
    signIn(console, "officer-without-mfa", "{\"roles\":[\"privacy-officer\"],\"amr\":[\"pwd\"]}");
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Not permitted");
    assertThat(browser.getPageSource()).contains("requires multi-factor authentication");
    signIn(console, "nurse-with-mfa", "{\"roles\":[\"nurse\"],\"amr\":[\"pwd\",\"mfa\"]}");
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Not permitted");
    assertThat(browser.getPageSource()).contains("Your role does not give access");
  }

  @Test
  @Order(2)
  void anOfficerTriagesAnAlertReviewsABreakTheGlassAndDownloadsTheReport() throws Exception {
    String agent = token("alice", "agent-app");
    String session = mcpSession(agent);
    JsonNode glass = call(agent, session, "break_the_glass", Map.of("patient_id", patient,
        "reason", "Unconscious patient in the ED " + PLANTED));
    assertThat(glass.path("result").path("isError").asBoolean()).as("break_the_glass: %s", glass).isFalse();
    assertThat(call(agent, session, "get_active_conditions", Map.of("patient_id", patient)).path("result").path("isError")
        .asBoolean()).isFalse();

    signIn(console, "demo-privacy-officer", "{\"roles\":[\"privacy-officer\"],\"amr\":[\"pwd\",\"otp\",\"mfa\"]}");
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Overview");
    check("overview");
    // Keyboard: the first Tab reaches the skip link, which moves focus past the navigation to the page's content.
    browser.findElement(By.tagName("body")).sendKeys(org.openqa.selenium.Keys.TAB);
    assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Skip to main content");

    browser.get(console + "alerts");
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("bulk-read <script>alert('x')</script>");
    browser.findElement(By.cssSelector("textarea[name=note]")).sendKeys("Reviewed with the ward manager " + PLANTED);
    submit(By.cssSelector("button[value=acknowledge]"));
    // Escalating opens an incident (record and ledger event); the alert links it.
    submit(By.cssSelector("button[value=escalate]"));
    String incident = browser.findElement(By.cssSelector("a[href^='/console/incidents/']")).getText();
    assertThat(incident).matches("[0-9a-f-]{36}");
    assertThat(Files.exists(app.dataDir().resolve("incidents").resolve(incident + ".json"))).isTrue();
    submit(By.linkText(incident));
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("custos.incident.open by demo-privacy-officer")
        .contains("3f1c2a9e-0000-4000-8000-000000000001");
    check("incident");
    browser.get(console + "alerts");
    browser.findElement(By.cssSelector("textarea[name=note]")).sendKeys("Expected: end-of-shift handover list.");
    submit(By.cssSelector("button[value=close]"));
    assertThat(browser.findElement(By.className("state")).getText()).isEqualToIgnoringCase("closed");
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("acknowledged by demo-privacy-officer")
        .contains("escalated by demo-privacy-officer").contains("closed by demo-privacy-officer");
    check("alerts");

    browser.get(console + "break-glass");
    assertThat(browser.findElement(By.className("reason")).getText()).contains("Unconscious patient in the ED");
    check("break-glass");
    browser.findElement(By.cssSelector("textarea[name=note]")).sendKeys("Confirmed with the ED attending.");
    submit(By.cssSelector("button[value=justified]"));
    assertThat(browser.findElement(By.className("state")).getText()).isEqualToIgnoringCase("reviewed");

    browser.get(console + "disclosures");
    browser.findElement(By.id("patient_id")).sendKeys(patient);
    submit(By.cssSelector("form[action$=reidentify] button"));
    assertThat(browser.findElement(By.tagName("caption")).getText()).doesNotStartWith("0 ");
    assertThat(browser.findElement(By.tagName("table")).getText()).contains("get_active_conditions");
    check("disclosures");

    browser.get(console + "access?user=alice");
    assertThat(browser.findElement(By.tagName("table")).getText()).contains("break_the_glass");
    check("access-review");

    browser.get(console + "compliance");
    check("compliance");
    browser.findElement(By.linkText("PDF")).click();
    Path pdf = downloads.resolve("custos-compliance-report.pdf");
    for (int i = 0; i < 100 && !Files.exists(pdf); i++) {
      Thread.sleep(100);
    }
    assertThat(pdf).exists();
    assertThat(new String(Files.readAllBytes(pdf), 0, 5, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("%PDF-");
    submit(By.cssSelector(".signout button"));
  }

  @Test
  @Order(3)
  void aClinicianApprovesTheWriteAnAgentProposedAndTheAgentCommitsIt() throws Exception {
    String agent = token("alice", "agent-app");
    String session = mcpSession(agent);
    Map<String, Object> args = new HashMap<>(Map.of("patient_id", patient, "title", "Follow-up",
        "text", "Stable. " + PLANTED));
    JsonNode proposed = call(agent, session, "draft_clinical_note", args).path("result").path("structuredContent");
    assertThat(proposed.path("status").asText()).as("proposal: %s", proposed).isEqualTo("pending_approval");
    String id = proposed.path("proposal_id").asText();
    assertThat(proposed.path("approval").path("url").asText()).isEqualTo(console + "approvals/" + id);

    // The clinician signs in and finds the proposal in the list of those waiting for them.
    signIn(console + "approvals", "alice", "{\"roles\":[\"clinician\"],\"amr\":[\"pwd\",\"mfa\"]}");
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Write approvals");
    String row = browser.findElement(By.cssSelector("table.pending tbody")).getText();
    assertThat(row).contains("draft_clinical_note").containsPattern("pt_[0-9a-f]{32}").doesNotContain(patient);
    check("approvals");
    submit(By.cssSelector("a[href='/console/approvals/" + id + "']"));
    assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Approve a write to the health record");
    assertThat(browser.findElement(By.className("payload")).getText()).contains("Stable. <script>alert('x')</script>");
    assertThat(browser.findElement(By.tagName("code")).getText()).isEqualTo(proposed.path("payload_sha256").asText());
    browser.findElement(By.tagName("summary")).click();
    assertThat(browser.findElement(By.className("json")).getText()).contains("\"resourceType\" : \"DocumentReference\"");
    check("approval");
    submit(By.cssSelector("button[value=approve]"));
    assertThat(browser.findElement(By.cssSelector("[role=status]")).getText()).startsWith("Approved");
    browser.get(console + "approvals");
    assertThat(browser.findElement(By.tagName("main")).getText()).contains("No proposal is waiting for you.");

    args.put("proposal_id", id);
    JsonNode committed = call(agent, session, "draft_clinical_note", args).path("result").path("structuredContent");
    assertThat(committed.path("status").asText()).as("commit: %s", committed).isEqualTo("committed");
  }

  @Test
  @Order(4)
  void aPageOfAnotherOriginCannotFrameTheConsole() throws Exception {
    HttpServer attacker = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    attacker.createContext("/", exchange -> {
      String html = exchange.getRequestURI().getPath().equals("/control")
          ? "<!DOCTYPE html><title>control</title><p id=control>framed page rendered</p>"
          : "<!DOCTYPE html><title>attacker</title><iframe id=console src=\"" + console + "approvals\"></iframe>"
              + "<iframe id=control src=\"/control\"></iframe>";
      byte[] body = html.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    attacker.start();
    try {
      signIn(console + "approvals", "alice", "{\"roles\":[\"clinician\"],\"amr\":[\"pwd\",\"mfa\"]}");
      assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Write approvals");
      browser.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
      var wait = new WebDriverWait(browser, Duration.ofSeconds(20));
      // The control frame (no anti-framing headers) renders: the check below can see a framed document's content.
      browser.switchTo().frame("control");
      wait.until(d -> !d.findElements(By.id("control")).isEmpty());
      browser.switchTo().defaultContent();
      browser.switchTo().frame("console");
      wait.until(d -> "complete".equals(((JavascriptExecutor) d).executeScript("return document.readyState")));
      JavascriptExecutor frame = (JavascriptExecutor) browser;
      // Chromium refused to render it (frame-ancestors 'none', X-Frame-Options DENY): an empty error document instead.
      assertThat(String.valueOf(frame.executeScript("return document.URL"))).doesNotStartWith(console);
      assertThat(browser.findElements(By.tagName("main"))).isEmpty();
      assertThat(browser.findElements(By.tagName("form"))).isEmpty();
      assertThat(browser.getPageSource()).doesNotContain("Write approvals").doesNotContain("csrf");
      browser.switchTo().defaultContent();
      Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
      Files.copy(shot, SHOTS.resolve("console-framed-refused.png"), StandardCopyOption.REPLACE_EXISTING);
    } finally {
      browser.switchTo().defaultContent();
      attacker.stop(0);
    }
  }

  @Test
  @Order(5)
  void noPatientIdentifierReachedTheLogs() {
    assertThat(logs.haystacks()).noneMatch(h -> h.contains(patient));
  }

  // --- the browser's and the agent's parts ------------------------------------------------------------

  /** Opens {@code page} signed out and signs in through the identity provider's interactive login page. */
  private static void signIn(String page, String user, String claims) {
    browser.manage().deleteAllCookies();
    browser.get(page);
    submit(By.linkText("Sign in with your organisation's identity provider"));
    browser.findElement(By.name("username")).sendKeys(user);
    browser.findElement(By.name("claims")).sendKeys(claims);
    submit(By.cssSelector("input[type=submit]"));
  }

  /** Clicks what {@code control} finds and waits until the browser has left the page. */
  private static void submit(By control) {
    var page = browser.findElement(By.tagName("html"));
    browser.findElement(control).click();
    // Chromium reports a node of the replaced document either as stale or as "does not belong to the document".
    new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> {
      try {
        page.isEnabled();
        return false;
      } catch (org.openqa.selenium.WebDriverException gone) {
        return true;
      }
    });
  }

  /** Screenshot, then axe-core: no serious or critical violation on this page. */
  private static void check(String page) throws Exception {
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, SHOTS.resolve("console-" + page + ".png"), StandardCopyOption.REPLACE_EXISTING);
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript(Files.readString(AXE));
    Object result = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
        + "axe.run(document).then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,"
        + " nodes: v.nodes.length}))))).catch(e => done('error: ' + e));");
    JsonNode violations = JSON.readTree(String.valueOf(result));
    List<JsonNode> severe = new java.util.ArrayList<>();
    violations.forEach(v -> {
      if (List.of("serious", "critical").contains(v.path("impact").asText())) {
        severe.add(v);
      }
    });
    assertThat(severe).as("axe-core on %s: %s", page, violations).isEmpty();
  }

  private static String token(String subject, String clientId) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs user/*.c");
    claims.put("roles", List.of("clinician"));
    claims.put("client_id", clientId);
    claims.put("auth_time", Instant.now().getEpochSecond());
    claims.put("amr", List.of("pwd", "mfa"));
    return idp.issueToken(ISSUER_ID, clientId, new DefaultOAuth2TokenCallback(ISSUER_ID, subject, "at+jwt", List.of(AUDIENCE),
        claims, 3600)).serialize();
  }

  private static HttpRequest.Builder mcp(String token, String body) {
    return HttpRequest.newBuilder(http.endpoint()).timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  /** An MCP session (initialize, notifications/initialized) of the agent. */
  private static String mcpSession(String token) throws Exception {
    HttpResponse<String> init = client.send(mcp(token, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
        + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"agent\",\"version\":\"1\"}}}").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(init.statusCode()).as("initialize: %s", init.body()).isEqualTo(200);
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    client.send(mcp(token, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", "2025-11-25").build(), HttpResponse.BodyHandlers.ofString());
    return session;
  }

  private static JsonNode call(String token, String session, String tool, Map<String, Object> args) throws Exception {
    int id = ids.incrementAndGet();
    String body = JSON.writeValueAsString(Map.of("jsonrpc", "2.0", "id", id, "method", "tools/call",
        "params", Map.of("name", tool, "arguments", args)));
    HttpResponse<String> r = client.send(mcp(token, body).header("Mcp-Session-Id", session)
        .header("MCP-Protocol-Version", "2025-11-25").build(), HttpResponse.BodyHandlers.ofString());
    return HttpTestSupport.messages(r).stream().filter(m -> m.path("id").asInt(-1) == id).findFirst()
        .orElseThrow(() -> new AssertionError(tool + ": " + r.statusCode() + " " + r.body()));
  }
}
