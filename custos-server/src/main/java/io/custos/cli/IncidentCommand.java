package io.custos.cli;

import io.custos.alerting.AlertLogFile;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LedgerOptions;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.PostgresLedgerStore;
import io.custos.audit.ledger.TokenMap;
import io.custos.auth.AuthenticationException;
import io.custos.auth.Caller;
import io.custos.config.CustosConfig;
import io.custos.console.PostgresAlertLog;
import io.custos.incident.Incident;
import io.custos.incident.IncidentReport;
import io.custos.incident.Incidents;
import io.custos.incident.PostgresIncidentStore;
import io.custos.policy.AlertSink;
import io.custos.state.StateStore;
import io.custos.verify.DirectoryLedger;
import io.custos.verify.JdbcLedger;
import io.custos.verify.LedgerSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custos incident open|reidentify|report}: security incident procedures (45 CFR 164.308(a)(6)) and breach
 * notification (164.400-414) from an alert in the alert log. Each command appends to the audit ledger: of one server
 * its directory, so the server must be stopped (it holds the ledger lock); of a fleet ({@code database:} configured)
 * its PostgreSQL ledger, beside the replicas, with the alerts, the token map and the incident records there too.
 */
@Command(name = "incident", mixinStandardHelpOptions = true,
    description = "Open an incident from an alert, re-identify its patients for notification, report on it.",
    subcommands = {IncidentCommand.Open.class, IncidentCommand.Reidentify.class, IncidentCommand.Report.class})
final class IncidentCommand {
  private IncidentCommand() {}

  abstract static class WithConfig {
    @Option(names = "--config", required = true, description = "custos.yaml of the server (its dataDir and alert log)")
    Path config;

    CustosConfig cfg() {
      return CustosConfig.load(config);
    }

    /** The configured server's incidents, ledger and alerts: its files, or with {@code database:} the fleet's. */
    Storage storage(CustosConfig c) throws IOException {
      Path data = Path.of(c.dataDir()).toAbsolutePath();
      LocalKeySource keys = LocalKeySource.open(data.resolve("keys"));
      if (c.database().isEmpty()) {
        return new Storage(new Incidents(data, keys, Clock.systemUTC()), keys, Optional.empty(), List.of());
      }
      CustosConfig.Database db = c.database().get();
      List<AutoCloseable> open = new ArrayList<>();
      try {
        StateStore state = ServerAssembly.stateStore(c.database(), Clock.systemUTC());
        open.add(state);
        javax.sql.DataSource fleet = ServerAssembly.fleetState(state).orElseThrow();
        var store = PostgresLedgerStore.connect(db.jdbcUrl(), db.user(), db.password());
        // a checkpoint cache of its own, so a replica on this host keeps its files to itself
        Path cache = Files.createTempDirectory("custos-incident-");
        open.add(() -> deleteTree(cache));
        MerkleLedger ledger = MerkleLedger.open(store, cache, keys, LedgerOptions.defaults(), Clock.systemUTC());
        open.add(0, ledger);
        Incidents incidents = new Incidents(data, keys, Clock.systemUTC(), ledger::append)
            .storedIn(new PostgresIncidentStore(fleet)).withTokenMap(() -> {
              try {
                return TokenMap.open(store, keys.tokenMapAead());
              } catch (GeneralSecurityException e) {
                throw new IOException("token map key unusable", e);
              }
            });
        return new Storage(incidents, keys, Optional.of(new Fleet(db, new PostgresAlertLog(fleet))), open);
      } catch (IOException | RuntimeException e) {
        new Storage(null, keys, Optional.empty(), open).close();
        throw e;
      }
    }
  }

  /** A fleet's database as these commands use it. */
  record Fleet(CustosConfig.Database db, PostgresAlertLog alerts) {}

  /** What a command opened; closing it flushes the ledger and ends the database connections. */
  record Storage(Incidents incidents, LocalKeySource keys, Optional<Fleet> fleet, List<AutoCloseable> open)
      implements AutoCloseable {
    /** The alert {@code id} as the alert log holds it: the fleet's database, else the configured log file. */
    Optional<Map<String, Object>> alert(CustosConfig c, String id) throws IOException {
      if (fleet.isPresent()) {
        return fleet.get().alerts().recent(Integer.MAX_VALUE).stream().filter(a -> a.id().equals(id)).findFirst()
            .map(AlertSink.Alert::document);
      }
      Path log = c.alerts().logFile(Path.of(c.dataDir()).toAbsolutePath());
      return Files.exists(log) ? AlertLogFile.find(log, id) : Optional.empty();
    }

    /** The audit ledger for reading: the fleet's database, else the data directory's. */
    LedgerSource ledger(CustosConfig c) throws IOException {
      return fleet.isPresent() ? JdbcLedger.connect(fleet.get().db().jdbcUrl(), fleet.get().db().user(),
          fleet.get().db().password()) : new DirectoryLedger(Path.of(c.dataDir()).toAbsolutePath().resolve("ledger"));
    }

    @Override
    public void close() throws IOException {
      IOException failed = null;
      for (AutoCloseable c : open) {
        try {
          c.close();
        } catch (Exception e) {
          failed = failed != null ? failed : new IOException("incident storage did not close cleanly", e);
        }
      }
      if (failed != null) {
        throw failed;
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Command(name = "open", description = "Open an incident from an alert of the alert log; records it in the ledger."
      + " The four risk-assessment factors of 45 CFR 164.402(2) may be given now or left pending.")
  static final class Open extends WithConfig implements Callable<Integer> {
    @Option(names = "--alert", required = true, description = "alert id (the \"id\" of a line in the alert log)") String alertId;
    @Option(names = "--operator", description = "who opens it (default: the OS user)") String operator;
    @Option(names = "--nature", description = "(i) nature and extent of the PHI involved") String nature;
    @Option(names = "--recipient", description = "(ii) the unauthorized person who used or received it") String recipient;
    @Option(names = "--acquired", description = "(iii) whether the PHI was actually acquired or viewed") String acquired;
    @Option(names = "--mitigation", description = "(iv) the extent to which the risk has been mitigated") String mitigation;
    @Option(names = "--conclusion", description = "PENDING (default), LOW_PROBABILITY_OF_COMPROMISE or NOTIFICATION_REQUIRED")
    Incident.Conclusion conclusion;

    @Override
    public Integer call() throws Exception {
      CustosConfig c = cfg();
      Incident i;
      try (Storage storage = storage(c)) {
        Optional<Map<String, Object>> alert = storage.alert(c, alertId);
        if (alert.isEmpty()) {
          System.err.println("custos: no alert with that id in the alert log");
          return 1;
        }
        Incident.RiskAssessment pending = Incident.RiskAssessment.pending();
        i = storage.incidents().open(alert.get(), operator != null ? operator : System.getProperty("user.name", "unknown"),
            new Incident.RiskAssessment(nature != null ? nature : pending.natureAndExtent(),
                recipient != null ? recipient : pending.unauthorizedPerson(),
                acquired != null ? acquired : pending.acquiredOrViewed(), mitigation != null ? mitigation : pending.mitigation(),
                conclusion != null ? conclusion : Incident.Conclusion.PENDING));
      }
      // in a fleet the alert may have its incident already (one per alert): that one is shown, as opened then
      System.out.println("incident " + i.id() + " opened " + i.openedAt() + " by " + i.openedBy() + ": "
          + i.patientPseudonyms().size()
          + " patient pseudonym(s); notification deadline " + i.notificationDeadline() + "; recorded in the ledger");
      return 0;
    }
  }

  @Command(name = "reidentify", description = "Map the incident's patient pseudonyms to patient ids for notification"
      + " (45 CFR 164.404). Needs a bearer token of a privacy officer with multi-factor authentication, validated as the"
      + " server validates tokens; recorded in the ledger before any id is written. Exit 3: token not accepted; 4: no"
      + " privacy-officer role or no MFA.")
  static final class Reidentify extends WithConfig implements Callable<Integer> {
    @Option(names = "--incident", required = true) String incidentId;
    @Option(names = "--token-file", description = "file holding the privacy officer's access token (default: CUSTOS_TOKEN)")
    Path tokenFile;
    @Option(names = "--out", required = true, description = "JSON file for the pseudonym-to-patient map (owner-only)") Path out;

    @Override
    public Integer call() throws Exception {
      CustosConfig c = cfg();
      String token = tokenFile != null ? Files.readString(tokenFile).trim() : System.getenv("CUSTOS_TOKEN");
      Caller caller;
      try {
        caller = ServerAssembly.authenticator(c.identity(), Clock.systemUTC()).authenticate(Optional.ofNullable(token));
      } catch (AuthenticationException e) {
        System.err.println("custos: the token was not accepted");
        return 3;
      }
      Map<String, String> ids;
      try (Storage storage = storage(c)) {
        ids = storage.incidents().reidentify(incidentId, caller);
      } catch (Incidents.NotPermittedException e) {
        System.err.println("custos: " + e.getMessage());
        return 4;
      }
      Files.deleteIfExists(out);
      Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      io.custos.audit.ledger.AuditEventCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(out.toFile(), ids);
      System.out.println(ids.size() + " patient(s) re-identified into " + out + "; recorded in the ledger");
      return 0;
    }
  }

  @Command(name = "report", description = "Render an incident (JSON, HTML and text) with its notification deadline, risk"
      + " assessment and ledger history.")
  static final class Report extends WithConfig implements Callable<Integer> {
    @Option(names = "--incident", required = true) String incidentId;
    @Option(names = "--out", defaultValue = ".", description = "directory for incident-<id>.json and .html") Path outDir;

    @Override
    public Integer call() throws Exception {
      CustosConfig c = cfg();
      Incident incident;
      List<AuditEvent> history = new ArrayList<>();
      try (Storage storage = storage(c); LedgerSource ledger = storage.ledger(c)) {
        incident = storage.incidents().read(incidentId);
        LedgerEvents.forEach(ledger, storage.keys().ledgerAead(), 0, s -> {
          if (incident.id().equals(s.event().callId())) {
            history.add(s.event());
          }
        });
      }
      IncidentReport r = new IncidentReport(incident, history, java.time.Instant.now());
      Files.createDirectories(outDir);
      Path json = outDir.resolve("incident-" + incident.id() + ".json");
      Path html = outDir.resolve("incident-" + incident.id() + ".html");
      io.custos.audit.ledger.AuditEventCodec.mapper().writerWithDefaultPrettyPrinter().writeValue(json.toFile(),
          Map.of("incident", incident, "daysToDeadline", r.daysToDeadline(), "history", history));
      Files.writeString(html, r.html());
      System.out.print(r.text());
      System.out.println("\nwritten " + json + " and " + html);
      return 0;
    }
  }
}
