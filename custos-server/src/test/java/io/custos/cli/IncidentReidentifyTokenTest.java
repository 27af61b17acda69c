package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.alerting.AlertLogFile;
import io.custos.audit.AuditEvent;
import io.custos.audit.PatientPseudonyms;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.TokenMap;
import io.custos.incident.Incidents;
import io.custos.policy.AlertSink;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code custos incident reidentify} with real access tokens from a real OAuth server, validated as the server
 * validates them: a privacy officer with MFA gets the patient ids (and the ledger records it); without MFA, refused.
 */
class IncidentReidentifyTokenTest {
  private static final String AUDIENCE = "https://custos.test/mcp";

  @TempDir
  Path tmp;
  private MockOAuth2Server oauth;
  private Path config;
  private Path data;
  private String mine;

  @BeforeEach
  void setUp() throws Exception {
    oauth = new MockOAuth2Server();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    data = tmp.resolve("data");
    LocalKeySource keys = LocalKeySource.openOrCreate(data.resolve("keys"));
    mine = new PatientPseudonyms(new byte[32]).tokenize("pat-77");
    Files.createDirectories(data.resolve("ledger"));
    try (TokenMap map = TokenMap.open(data.resolve("ledger").resolve(TokenMap.FILE), keys.tokenMapAead())) {
      map.remember(mine, "pat-77");
    }
    config = tmp.resolve("custos.yaml");
    Files.writeString(config, """
        upstream: {baseUrl: "http://127.0.0.1:9/fhir"}
        identity: {mode: oauth, issuer: "%s", jwksUri: "%s", audience: "%s"}
        dataDir: "%s"
        """.formatted(oauth.issuerUrl("custos"), oauth.jwksUrl("custos"), AUDIENCE, data));
  }

  @AfterEach
  void stop() {
    oauth.shutdown();
  }

  private Path token(List<String> amr) throws Exception {
    Map<String, Object> claims = new HashMap<>();
    claims.put("roles", List.of(Incidents.PRIVACY_OFFICER));
    claims.put("amr", amr);
    claims.put("client_id", "privacy-console");
    Path file = tmp.resolve("token-" + String.join("-", amr));
    Files.writeString(file, oauth.issueToken("custos", "privacy-console", new DefaultOAuth2TokenCallback("custos",
        "officer-1", "at+jwt", List.of(AUDIENCE), claims, 600)).serialize());
    return file;
  }

  private int run(ByteArrayOutputStream out, String... args) {
    return CliRun.capturingOut(out, args);
  }

  private String openIncident() {
    AlertSink.Alert a = new AlertSink.Alert(java.util.UUID.randomUUID().toString(), "vip-record", AlertSink.Severity.CRITICAL,
        "clerk-1", List.of(mine), Instant.parse("2026-11-29T09:00:00Z"), Instant.parse("2026-11-29T09:00:00Z"), 1,
        List.of("ev-9"), "call-9");
    new AlertLogFile(data.resolve("alerts.jsonl")).alert(a);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(run(out, "incident", "open", "--config", config.toString(), "--alert", a.id())).isZero();
    Matcher m = Pattern.compile("incident ([0-9a-f-]{36}) opened").matcher(out.toString(StandardCharsets.UTF_8));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private List<AuditEvent> ledger() throws Exception {
    List<AuditEvent> all = new ArrayList<>();
    LedgerEvents.forEach(data.resolve("ledger"), LocalKeySource.open(data.resolve("keys")).ledgerAead(), s -> all.add(s.event()));
    return all;
  }

  @Test
  void aPrivacyOfficerWithMfaReidentifiesAndTheLedgerRecordsWho() throws Exception {
    String id = openIncident();
    Path ids = tmp.resolve("ids.json");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(run(out, "incident", "reidentify", "--config", config.toString(), "--incident", id, "--token-file",
        token(List.of("pwd", "mfa")).toString(), "--out", ids.toString())).as(out.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(Files.readString(ids)).contains(mine, "pat-77");
    AuditEvent last = ledger().get(ledger().size() - 1);
    assertThat(last.tool()).isEqualTo(Incidents.REIDENTIFY_TOOL);
    assertThat(last.subject()).isEqualTo("officer-1");
    assertThat(last.callId()).isEqualTo(id);
  }

  @Test
  void withoutMfaThePrivacyOfficerIsRefusedAndNothingIsWritten() throws Exception {
    String id = openIncident();
    Path ids = tmp.resolve("ids.json");
    assertThat(run(new ByteArrayOutputStream(), "incident", "reidentify", "--config", config.toString(), "--incident", id,
        "--token-file", token(List.of("pwd")).toString(), "--out", ids.toString())).isEqualTo(4);
    assertThat(ids).doesNotExist();
    assertThat(ledger()).noneMatch(e -> e.tool().equals(Incidents.REIDENTIFY_TOOL));
  }
}
