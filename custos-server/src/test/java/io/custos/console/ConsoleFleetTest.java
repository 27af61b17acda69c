package io.custos.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.auth.ClaimsMapping;
import io.custos.compliance.ComplianceReport;
import io.custos.compliance.WitnessStatus;
import io.custos.incident.Incidents;
import io.custos.incident.PostgresIncidentStore;
import io.custos.policy.AlertSink;
import io.custos.state.PostgresStateStore;
import io.custos.testing.EmbeddedPostgresExtension;
import io.custos.verify.JdbcLedger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas of a fleet (a real embedded PostgreSQL: one ledger, one state database; each replica its own pools,
 * checkpoint cache and console): an alert raised at one is triaged at the other, and each console shows what was done
 * and noted at the other.
 */
class ConsoleFleetTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();
  private static final String MFA = "{\"roles\":[\"privacy-officer\"],\"amr\":[\"mfa\"]}";

  @TempDir Path tmp;
  private MockOAuth2Server idp;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<Replica> replicas = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  private record Replica(String base, PostgresAlertLog alerts, MerkleLedger ledger, javax.sql.DataSource state) {}
  private String url;
  private LocalKeySource keys;

  @BeforeEach
  void start() throws Exception {
    idp = new MockOAuth2Server(new OAuth2Config(true, null, null, false, new OAuth2TokenProvider(), Set.of()));
    idp.start(InetAddress.getByName("127.0.0.1"), 0);
    url = PG.freshDatabase();
    keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    for (int i = 0; i < 2; i++) {
      // each replica its own data directory, so nothing is shared through local files
      Path cache = tmp.resolve("replica" + i).resolve("ledger");
      // the first replica keeps a witness of its checkpoints, the second none
      Optional<Path> witness = i == 0 ? Optional.of(tmp.resolve("witness")) : Optional.empty();
      // checkpoints only when the test asks, so "nothing witnessed yet" does not race the periodic checkpoint
      LedgerOptions manual = LedgerOptions.defaults().withCheckpointInterval(Duration.ofHours(1));
      MerkleLedger ledger = MerkleLedger.open(PostgresLedgerStore.connect(url, "postgres", ""), cache, keys,
          witness.map(manual::withWitness).orElse(manual), Clock.systemUTC());
      PostgresStateStore state = PostgresStateStore.builder().clock(Clock.systemUTC()).jdbc(url, "postgres", Optional.empty())
          .maxPoolSize(2).build();
      var alerts = new PostgresAlertLog(state.dataSource());
      int port;
      try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      String base = "http://127.0.0.1:" + port;
      var servlet = new ConsoleServlet(new ConsoleServlet.Settings(
          ConsoleServlet.relyingParty(idp.issuerUrl("console").toString(), "custos-console", base),
          new ClaimsMapping("roles", List.of("mfa"), List.of()), Duration.ofMinutes(15),
          new LedgerView(cache, () -> JdbcLedger.connect(url), ledger.reader(), keys, ledger, id -> List.of()), cache.resolve("notes.jsonl"),
          alerts, null, null, () -> new ComplianceReport(Instant.now(), "test", List.of()), "test", Clock.systemUTC(),
          () -> WitnessStatus.read(witness), Optional.of(new PostgresCaseNotes(state.dataSource(), keys.ledgerAead())),
          Optional.of(new PostgresIncidentStore(state.dataSource()))));
      Server jetty = ConsoleSecurityTest.serve(servlet, port);
      open.add(jetty::stop);
      open.add(state);
      open.add(ledger);
      replicas.add(new Replica(base, alerts, ledger, state.dataSource()));
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    idp.shutdown();
  }

  @Test
  void anAlertRaisedAtOneReplicaIsTriagedAtTheOtherAndBothConsolesShowItsHistoryAndNotes() throws Exception {
    Replica a = replicas.get(0);
    Replica b = replicas.get(1);
    a.alerts().alert(new AlertSink.Alert("fleet-alert-1", "volume", AlertSink.Severity.HIGH, "dr-who", List.of("pz-1"),
        Instant.now(), Instant.now(), 40, List.of("ev-1"), "call-1"));
    a.alerts().alert(new AlertSink.Alert("fleet-alert-1", "volume", AlertSink.Severity.HIGH, "dr-who", List.of("pz-1"),
        Instant.now(), Instant.now(), 40, List.of("ev-1"), "call-1"));
    assertThat(b.alerts().recent(10)).as("stored once, seen by the other replica").extracting(AlertSink.Alert::id)
        .containsExactly("fleet-alert-1");

    String atB = signIn(b, "officer-b");
    String csrfB = ConsoleSecurityTest.csrf(get(b, "/console/alerts", atB).body());
    assertThat(post(b, atB, "csrf=" + csrfB + "&alert_id=fleet-alert-1&action=acknowledge&note="
        + URLEncoder.encode("looking into it", StandardCharsets.UTF_8)).statusCode()).isEqualTo(302);

    String atA = signIn(a, "officer-a");
    String pageA = get(a, "/console/alerts", atA).body();
    assertThat(pageA).contains("fleet-alert-1").contains("acknowledged by officer-b: looking into it");
    String csrfA = ConsoleSecurityTest.csrf(pageA);
    assertThat(post(a, atA, "csrf=" + csrfA + "&alert_id=fleet-alert-1&action=close&note="
        + URLEncoder.encode("expected clinic volume", StandardCharsets.UTF_8)).statusCode()).isEqualTo(302);

    assertThat(get(b, "/console/alerts", atB).body()).contains("acknowledged by officer-b: looking into it")
        .contains("closed by officer-a: expected clinic volume");
  }

  @Test
  void anIncidentOpenedAtOneReplicaIsTheOneEveryReplicaShowsAndEscalatesTo() throws Exception {
    Replica a = replicas.get(0);
    Replica b = replicas.get(1);
    raise(a, "fleet-alert-2");
    String atA = signIn(a, "officer-a");
    assertThat(post(a, atA, "csrf=" + ConsoleSecurityTest.csrf(get(a, "/console/alerts", atA).body())
        + "&alert_id=fleet-alert-2&action=escalate").statusCode()).isEqualTo(302);
    String incident = incidentOf(a, atA, "fleet-alert-2");

    String atB = signIn(b, "officer-b");
    String alertsB = get(b, "/console/alerts", atB).body();
    assertThat(alertsB).as("the other replica links the same incident")
        .contains("href=\"/console/incidents/" + incident + "\"").contains("escalated by officer-a");
    HttpResponse<String> pageB = get(b, "/console/incidents/" + incident, atB);
    assertThat(pageB.statusCode()).isEqualTo(200);
    assertThat(pageB.body()).contains("fleet-alert-2").contains("pz-1").contains("custos.incident.open by officer-a");

    // escalating again at the other replica opens no second incident
    assertThat(post(b, atB, "csrf=" + ConsoleSecurityTest.csrf(alertsB) + "&alert_id=fleet-alert-2&action=escalate")
        .statusCode()).isEqualTo(302);
    assertThat(ledgerTools()).filteredOn(Incidents.OPEN_TOOL::equals).hasSize(1);
    assertThat(incidentOf(b, atB, "fleet-alert-2")).isEqualTo(incident);

    // a record edited in the database no longer matches its ledger event: shown at neither replica
    try (var c = a.state().getConnection(); var s = c.prepareStatement(
        "UPDATE custos_incident SET record = replace(record, 'pz-1', 'pz-2') WHERE id = ?")) {
      s.setString(1, incident);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }
    assertThat(get(a, "/console/incidents/" + incident, atA).statusCode()).isEqualTo(404);
    assertThat(get(b, "/console/incidents/" + incident, atB).statusCode()).isEqualTo(404);
  }

  @Test
  void twoOfficersEscalatingOneAlertAtOnceAtTwoReplicasOpenOneIncident() throws Exception {
    raise(replicas.get(0), "fleet-alert-3");
    List<String> sessions = new ArrayList<>();
    List<String> forms = new ArrayList<>();
    for (Replica r : replicas) {
      String session = signIn(r, "officer-" + replicas.indexOf(r));
      sessions.add(session);
      forms.add("csrf=" + ConsoleSecurityTest.csrf(get(r, "/console/alerts", session).body())
          + "&alert_id=fleet-alert-3&action=escalate");
    }
    var start = new java.util.concurrent.CyclicBarrier(replicas.size());
    List<java.util.concurrent.Future<Integer>> escalations = new ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(replicas.size())) {
      for (int i = 0; i < replicas.size(); i++) {
        int r = i;
        escalations.add(pool.submit(() -> {
          start.await();
          return post(replicas.get(r), sessions.get(r), forms.get(r)).statusCode();
        }));
      }
      for (var e : escalations) {
        assertThat(e.get()).isEqualTo(302);
      }
    }
    List<String> tools = ledgerTools();
    assertThat(tools).filteredOn(Incidents.OPEN_TOOL::equals).as("one incident opened").hasSize(1);
    assertThat(tools).filteredOn("custos.console.alert.escalate"::equals).as("both escalations recorded").hasSize(2);
    try (var c = replicas.get(0).state().getConnection();
        var s = c.prepareStatement("SELECT count(*) FROM custos_incident WHERE alert_id = 'fleet-alert-3'");
        var rs = s.executeQuery()) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
    assertThat(incidentOf(replicas.get(1), sessions.get(1), "fleet-alert-3"))
        .isEqualTo(incidentOf(replicas.get(0), sessions.get(0), "fleet-alert-3"));
  }

  @Test
  void theOverviewShowsEachReplicasRealWitnessState() throws Exception {
    Replica a = replicas.get(0);
    Replica b = replicas.get(1);
    String atA = signIn(a, "officer-a");
    assertThat(get(a, "/console/", atA).body()).contains("witness configured: nothing witnessed yet");
    a.ledger().append(new io.custos.audit.AuditEvent("e1", "c1", Instant.now(), io.custos.audit.AuditEvent.Phase.RESULT,
        "dr-who", null, "app", null, null, Set.of("clinician"), "get_medications", "MedicationRequest", List.of("p1"), null,
        "success", 1, null, 0, "stdio", "t"));
    a.ledger().checkpointNow();
    assertThat(get(a, "/console/", atA).body())
        .contains("witness configured: last witnessed checkpoint size " + a.ledger().size() + ", ");
    String atB = signIn(b, "officer-b");
    assertThat(get(b, "/console/", atB).body()).contains("no witness configured (ledger.witnessDir)")
        .doesNotContain("no witness directory configured on this server");
  }

  private static void raise(Replica r, String id) {
    r.alerts().alert(new AlertSink.Alert(id, "volume", AlertSink.Severity.HIGH, "dr-who", List.of("pz-1"),
        Instant.now(), Instant.now(), 40, List.of("ev-1"), "call-1"));
  }

  /** The incident the alerts page of {@code r} links for {@code alertId}. */
  private String incidentOf(Replica r, String session, String alertId) throws Exception {
    String page = get(r, "/console/alerts", session).body();
    var m = java.util.regex.Pattern.compile("href=\"/console/incidents/([0-9a-f-]{36})\"").matcher(page);
    assertThat(m.find()).as("an incident link on the alerts page").isTrue();
    assertThat(page).contains(alertId);
    return m.group(1);
  }

  /** The tool of every event in the fleet's ledger, in order. */
  private List<String> ledgerTools() throws Exception {
    List<String> tools = new ArrayList<>();
    try (var source = JdbcLedger.connect(url)) {
      io.custos.audit.ledger.LedgerEvents.forEach(source, keys.ledgerAead(), 0, e -> tools.add(e.event().tool()));
    }
    return tools;
  }

  // --- a browser's part, by hand ---------------------------------------------------------------------

  /** Signs in at {@code r} through the provider's interactive login; returns the signed-in session id. */
  private String signIn(Replica r, String user) throws Exception {
    HttpResponse<String> start = get(r, "/console/signin", null);
    String pre = ConsoleSecurityTest.cookie(start).orElseThrow();
    URI authorize = URI.create(start.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> login = http.send(HttpRequest.newBuilder(authorize).POST(HttpRequest.BodyPublishers.ofString(
        "username=" + user + "&claims=" + URLEncoder.encode(MFA, StandardCharsets.UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
    URI back = URI.create(login.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> done = get(r, back.getRawPath() + "?" + back.getRawQuery(), pre);
    assertThat(done.statusCode()).isEqualTo(302);
    return ConsoleSecurityTest.cookie(done).orElseThrow();
  }

  private HttpResponse<String> get(Replica r, String path, String session) throws Exception {
    var b = HttpRequest.newBuilder(URI.create(r.base() + path)).GET();
    if (session != null) {
      b.header("Cookie", ConsoleServlet.COOKIE + "=" + session);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(Replica r, String session, String form) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(r.base() + "/console/alerts/action"))
        .POST(HttpRequest.BodyPublishers.ofString(form)).header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", r.base()).header("Cookie", ConsoleServlet.COOKIE + "=" + session).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
