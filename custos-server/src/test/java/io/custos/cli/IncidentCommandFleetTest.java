package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.audit.ledger.TokenMap;
import io.custos.auth.Caller;
import io.custos.config.CustosConfig;
import io.custos.console.PostgresAlertLog;
import io.custos.incident.Incidents;
import io.custos.policy.AlertSink;
import io.custos.state.PostgresStateStore;
import io.custos.testing.EmbeddedPostgresExtension;
import io.custos.verify.JdbcLedger;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code custos incident} against a fleet ({@code database:} configured, a real embedded PostgreSQL): the alert is read
 * from the fleet's alerts, the record is kept in its state database and the events go to its ledger, so the command
 * line and every replica's console see one incident per alert.
 */
class IncidentCommandFleetTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  @TempDir Path tmp;
  private String url;
  private Path data;
  private Path config;
  private LocalKeySource keys;

  @BeforeEach
  void setUp() throws Exception {
    url = PG.freshDatabase();
    data = tmp.resolve("data");
    keys = LocalKeySource.openOrCreate(data.resolve("keys"));
    Path password = Files.writeString(tmp.resolve("password"), "postgres\n");
    config = Files.writeString(tmp.resolve("custos.yaml"), """
        upstream: {baseUrl: "http://127.0.0.1:9/fhir"}
        identity: {mode: development}
        dataDir: "%s"
        database: {jdbcUrl: "%s", user: postgres, passwordFile: "%s", maxPoolSize: 2}
        """.formatted(data, url.substring(0, url.indexOf('?')), password));
    try (PostgresStateStore state = PostgresStateStore.builder().clock(Clock.systemUTC()).jdbc(url, "postgres", Optional.empty())
        .maxPoolSize(2).build()) {
      new PostgresAlertLog(state.dataSource()).alert(new AlertSink.Alert("fleet-alert", "many-patients",
          AlertSink.Severity.HIGH, "clerk-9", List.of("pz-1"), Instant.parse("2026-11-29T09:00:00Z"),
          Instant.parse("2026-11-29T09:30:00Z"), 40, List.of("ev-1"), "call-1"));
    }
    try (var store = PostgresLedgerStore.connect(url, "postgres", "");
        TokenMap map = TokenMap.open(store, keys.tokenMapAead())) {
      map.remember("pz-1", "pat-42");
    }
  }

  @Test
  void openReportAndReidentifyUseTheFleetsDatabaseAndASecondOpenFindsTheFirstIncident() throws Exception {
    String id = open();
    assertThat(open()).as("one incident per alert").isEqualTo(id);
    assertThat(data.resolve("incidents")).as("nothing on this host's disk").doesNotExist();
    assertThat(tools()).filteredOn(Incidents.OPEN_TOOL::equals).hasSize(1);

    String text = run(0, "incident", "report", "--config", config.toString(), "--incident", id, "--out",
        tmp.resolve("reports").toString());
    assertThat(text).contains("Notification deadline (164.404(b), 60 days): 2027-01-28T09:30:00Z")
        .contains(Incidents.OPEN_TOOL + "  by po-1");

    Caller officer = new Caller("po-3", "console", Optional.empty(), Set.of(Incidents.PRIVACY_OFFICER), Set.of(),
        Optional.empty(), true, "t3", Instant.now().plusSeconds(300));
    CustosConfig c = CustosConfig.load(config);
    try (IncidentCommand.Storage storage = new IncidentCommand.Report().storage(c)) {
      assertThat(storage.incidents().reidentify(id, officer)).containsExactly(Map.entry("pz-1", "pat-42"));
    }
    assertThat(tools()).last().isEqualTo(Incidents.REIDENTIFY_TOOL);
  }

  private String open() {
    String out = run(0, "incident", "open", "--config", config.toString(), "--alert", "fleet-alert", "--operator", "po-1");
    Matcher m = Pattern.compile("incident ([0-9a-f-]{36}) opened").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return m.group(1);
  }

  /** The tool of every event in the fleet's ledger, in order. */
  private List<String> tools() throws Exception {
    List<String> tools = new ArrayList<>();
    try (var source = JdbcLedger.connect(url)) {
      LedgerEvents.forEach(source, keys.ledgerAead(), 0, e -> tools.add(e.event().tool()));
    }
    return tools;
  }

  private static String run(int expected, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(CliRun.capturingOut(out, args)).as(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    return out.toString(StandardCharsets.UTF_8);
  }
}
