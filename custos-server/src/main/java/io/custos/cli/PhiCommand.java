package io.custos.cli;

import ca.uhn.fhir.context.FhirContext;
import io.custos.auth.Caller;
import io.custos.config.CustosConfig;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.SearchMethod;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import io.custos.phi.scan.LogScanner;
import io.custos.phi.scan.PatientIdentifiers;
import io.custos.phi.scan.PhiScanResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.hl7.fhir.r4.model.Patient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code custos phi scan}: proves the server's text output free of patient identifiers ("we do not log PHI",
 * 45 CFR 164.312(b), 164.514(b)). Reads the identifiers of the configured upstream's patients, searches the data
 * directory's text files, the alert log and every {@code --path}, prints counts and locations (file, line, kind,
 * never a value) and keeps the result as {@value PhiScanResult#FILE} in the data directory (and, in a fleet, in its
 * state database), where the compliance report reads it. Read-only towards the server: it may run beside a running server.
 */
@Command(name = "phi", mixinStandardHelpOptions = true, description = "PHI checks of the server's own output.",
    subcommands = {PhiCommand.Scan.class, PhiCommand.ForgetReplica.class})
final class PhiCommand {
  private PhiCommand() {}

  @Command(name = "scan", description = "Search the server's logs, alert log and exports for the identifiers (names,"
      + " identifiers, birth dates, address lines, postal codes, phone and e-mail) of the upstream's patients; print counts"
      + " and file:line:kind only; exit 0 when none is found, 3 when any is, 4 when the scan is inconclusive (files not"
      + " read, --max-patients reached, no data directory, no line), 1 when the scan cannot run.")
  static final class Scan implements Callable<Integer> {
    /** Exit status when an identifier was found. */
    static final int FOUND = 3;
    /** Exit status when nothing was found but the scan proves nothing (see {@link PhiScanResult#inconclusiveReasons()}). */
    static final int INCONCLUSIVE = 4;

    @Option(names = "--config", required = true, description = "custos.yaml of the server") Path config;
    @Option(names = "--path", description = "a further file or directory to scan: captured standard error (for example"
        + " `journalctl -u custos > custos.log`), SIEM or audit exports; repeatable") List<Path> paths = new ArrayList<>();
    @Option(names = "--max-patients", defaultValue = "100000", description = "patients read at most (default ${DEFAULT-VALUE})")
    int maxPatients;
    @Spec CommandSpec spec;
    @Option(names = "--no-data-dir", description = "scan only the --path entries, not the data directory and alert log"
        + " (the result is then inconclusive: the compliance report does not accept it)")
    boolean noDataDir;
    @Option(names = "--replica", description = "this replica's id in the fleet's evidence (default: environment"
        + " CUSTOS_REPLICA_ID, else HOSTNAME, which Kubernetes sets to the pod name, else the host name)")
    String replica;

    @Override
    public Integer call() throws Exception {
      java.io.PrintWriter out = spec.commandLine().getOut();
      java.io.PrintWriter err = spec.commandLine().getErr();
      CustosConfig c = CustosConfig.load(config);
      Path data = Path.of(c.dataDir()).toAbsolutePath();
      PatientIdentifiers ids = new PatientIdentifiers();
      boolean capped;
      try {
        capped = addPatients(c, maxPatients, ids) >= maxPatients;
        if (capped) {
          err.println("custos: --max-patients " + maxPatients + " reached: identifiers of further patients are not searched");
        }
      } catch (UpstreamException e) {
        err.println("custos: the FHIR upstream cannot be read (" + e.kind() + ")");
        return 1;
      }
      if (c.sql() != null) {
        try {
          io.custos.sql.PatientKeys.addTo(ids, c.sql().validated(), maxPatients);
        } catch (java.sql.SQLException e) {
          err.println("custos: the sql database cannot be read (SQLState " + e.getSQLState() + ")");
          return 1;
        }
      }
      if (ids.size() == 0) {
        err.println("custos: no patient identifier was read from the upstream: this scan proves nothing, and the"
            + " compliance report does not count it");
      }
      List<Path> roots = new ArrayList<>(paths);
      Path alertLog = ServerAssembly.alertLog(c).toAbsolutePath();
      boolean alertLogScanned = Files.exists(alertLog) && (!noDataDir
          || paths.stream().anyMatch(p -> alertLog.startsWith(p.toAbsolutePath())));
      if (!noDataDir) {
        roots.add(data);
        if (Files.exists(alertLog) && !alertLog.startsWith(data)) {
          roots.add(alertLog);
        }
      }
      for (Path p : roots) {
        if (!Files.exists(p)) {
          err.println("custos: no such file or directory: " + p);
          return 1;
        }
      }
      // The previous result names only locations, but it is this command's own output: leave it out.
      // Binary files of the ledger and key directories are the server's AES-GCM stores and keys: sealed, not skipped.
      Set<Path> sealed = Set.of(data.resolve("ledger"), c.keysPath().toAbsolutePath());
      PhiScanResult scanned = new LogScanner(ids).scan(roots, Clock.systemUTC(), Set.of(data.resolve(PhiScanResult.FILE)),
          sealed);
      PhiScanResult r = scanned.with(scanned.coverage().withReplica(replica != null ? replica : replicaId())
          .withServerFiles(!noDataDir, alertLogScanned).withPatientLimitReached(capped));
      r.locations().forEach(f -> out.println(f.file() + ":" + f.line() + ": " + f.kind().code()));
      out.println(r.findings() + " finding(s) in " + r.files() + " file(s), " + r.lines() + " line(s); "
          + r.skipped() + " file(s) not read; " + r.coverage().sealedFiles() + " sealed ledger or key file(s); "
          + r.identifiers() + " identifier(s) searched");
      if (r.status() == PhiScanResult.Status.INCONCLUSIVE) {
        err.println("custos: inconclusive: " + String.join("; ", r.inconclusiveReasons()));
      }
      r.save(data);
      out.println("result written to " + data.resolve(PhiScanResult.FILE));
      // A fleet's compliance report reads every replica's latest scan from the fleet's database.
      try (var state = ServerAssembly.stateStore(c.database(), Clock.systemUTC())) {
        var fleet = ServerAssembly.fleetState(state);
        if (fleet.isPresent()) {
          new io.custos.compliance.SharedEvidence(fleet.get()).savePhiScan(r);
          out.println("result recorded in the fleet database");
        }
      }
      out.flush();
      return switch (r.status()) {
        case PASS -> 0;
        case FAIL -> FOUND;
        case INCONCLUSIVE -> INCONCLUSIVE;
      };
    }

    /**
     * The replica's id: {@code CUSTOS_REPLICA_ID}, else {@code HOSTNAME} (a Kubernetes pod's name, so a scan run with
     * {@code kubectl exec} in the pod is keyed by it), else the host name.
     */
    static String replicaId() throws IOException {
      for (String env : List.of("CUSTOS_REPLICA_ID", "HOSTNAME")) {
        String v = System.getenv(env);
        if (v != null && !v.isBlank()) {
          return v.strip();
        }
      }
      return java.net.InetAddress.getLocalHost().getHostName();
    }

    /**
     * Adds the identifiers of every Patient of the upstream (up to {@code max}), read page by page with the server's own
     * upstream credential; returns how many patients were read.
     */
    private static int addPatients(CustosConfig c, int max, PatientIdentifiers ids) throws IOException {
      var u = c.upstream();
      FhirUpstream upstream = new HapiFhirUpstream(FhirContext.forR4Cached(), u.baseUrl(), Duration.ofSeconds(u.timeoutSeconds()),
          List.of(), ServerAssembly.upstreamAuth(u, Clock.systemUTC()), u.searchMethod() == null ? SearchMethod.POST : u.searchMethod())
          .as(new Caller("custos-phi-scan", "custos-cli", Optional.empty(), Set.of(), Set.of(), Optional.empty(), false,
              "phi-scan", Instant.now().plus(Duration.ofHours(1))));
      int read = 0;
      SearchPage page = upstream.execute(new UpstreamRequest.Search("Patient", Map.of(), 100));
      while (true) {
        List<Patient> patients = page.resources().stream().filter(Patient.class::isInstance).map(Patient.class::cast)
            .limit(max - read).toList();
        ids.addAll(patients);
        read += patients.size();
        if (read >= max || page.nextLink().isEmpty()) {
          return read;
        }
        page = upstream.nextPage(page.nextLink().get());
      }
    }
  }

  @Command(name = "forget-replica", description = "In a fleet, remove the PHI scan record of a replica that no longer runs"
      + " (its pod name after a rollout), once it is older than the report's 7-day bound; exit 0 when removed, 1 when"
      + " there is no such stale record or no fleet database.")
  static final class ForgetReplica implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "custos.yaml of the server") Path config;
    @picocli.CommandLine.Parameters(index = "0", description = "the replica id, as the report lists it") String replica;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      CustosConfig c = CustosConfig.load(config);
      try (var state = ServerAssembly.stateStore(c.database(), Clock.systemUTC())) {
        var fleet = ServerAssembly.fleetState(state);
        if (fleet.isEmpty()) {
          spec.commandLine().getErr().println("custos: no fleet database (database:) is configured");
          return 1;
        }
        if (!new io.custos.compliance.SharedEvidence(fleet.get()).forgetStalePhiScan(replica, Instant.now())) {
          spec.commandLine().getErr().println("custos: no PHI scan record older than 7 days for that replica");
          return 1;
        }
      }
      spec.commandLine().getOut().println("PHI scan record removed");
      return 0;
    }
  }
}
