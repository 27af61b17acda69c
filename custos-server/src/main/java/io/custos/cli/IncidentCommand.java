package io.custos.cli;

import io.custos.alerting.AlertLogFile;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.auth.AuthenticationException;
import io.custos.auth.Caller;
import io.custos.config.CustosConfig;
import io.custos.incident.Incident;
import io.custos.incident.IncidentReport;
import io.custos.incident.Incidents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * notification (164.400-414) from an alert in the alert log. Each command appends to the audit ledger, so the server
 * must be stopped (it holds the ledger lock).
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

    Incidents incidents(CustosConfig c) throws java.io.IOException {
      Path data = Path.of(c.dataDir()).toAbsolutePath();
      return new Incidents(data, LocalKeySource.open(data.resolve("keys")), Clock.systemUTC());
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
      Path log = c.alerts().logFile(Path.of(c.dataDir()).toAbsolutePath());
      Optional<Map<String, Object>> alert = Files.exists(log) ? AlertLogFile.find(log, alertId) : Optional.empty();
      if (alert.isEmpty()) {
        System.err.println("custos: no alert with that id in " + log);
        return 1;
      }
      Incident.RiskAssessment pending = Incident.RiskAssessment.pending();
      Incident i = incidents(c).open(alert.get(), operator != null ? operator : System.getProperty("user.name", "unknown"),
          new Incident.RiskAssessment(nature != null ? nature : pending.natureAndExtent(),
              recipient != null ? recipient : pending.unauthorizedPerson(),
              acquired != null ? acquired : pending.acquiredOrViewed(), mitigation != null ? mitigation : pending.mitigation(),
              conclusion != null ? conclusion : Incident.Conclusion.PENDING));
      System.out.println("incident " + i.id() + " opened: " + i.patientPseudonyms().size()
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
      try {
        ids = incidents(c).reidentify(incidentId, caller);
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
      Path data = Path.of(c.dataDir()).toAbsolutePath();
      Incident incident = incidents(c).read(incidentId);
      List<AuditEvent> history = new ArrayList<>();
      LedgerEvents.forEach(data.resolve("ledger"), LocalKeySource.open(data.resolve("keys")).ledgerAead(), s -> {
        if (incident.id().equals(s.event().callId())) {
          history.add(s.event());
        }
      });
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
