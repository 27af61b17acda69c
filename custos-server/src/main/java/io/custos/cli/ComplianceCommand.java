package io.custos.cli;

import io.custos.compliance.ComplianceChecks;
import io.custos.compliance.ComplianceDocuments;
import io.custos.compliance.ComplianceEvidence;
import io.custos.compliance.ComplianceReport;
import io.custos.config.CustosConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custos compliance report}: evidence on demand. Maps each HIPAA standard Custos addresses to the live
 * configuration and the evidence (ledger verification, checkpoint signatures, witness, key ages, the last PHI scan and,
 * with {@code --test-reports}, JUnit test results), as
 * JSON (stable field names, see {@link ComplianceReport}), HTML or PDF. Read-only: it may run beside a running server.
 */
@Command(name = "compliance", mixinStandardHelpOptions = true, description = "Compliance evidence.",
    subcommands = {ComplianceCommand.Report.class})
final class ComplianceCommand {
  private ComplianceCommand() {}

  @Command(name = "report", description = "Check each HIPAA standard against the configuration and the audit evidence;"
      + " exit 0 when every check passes, 3 when any fails.")
  static final class Report implements Callable<Integer> {
    /** Exit status when at least one check fails. */
    static final int FAILING = 3;

    @Option(names = "--config", required = true, description = "custos.yaml") Path config;
    @Option(names = "--format", defaultValue = "html", description = "json | html | pdf (default ${DEFAULT-VALUE})") String format;
    @Option(names = "--out", required = true, description = "output file") Path out;
    @Option(names = "--test-reports", description = "a directory of JUnit XML reports (e.g. target/surefire-reports,"
        + " target/failsafe-reports) whose totals join the evidence; repeatable; default none")
    List<Path> testReports = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      ComplianceDocuments.Format f;
      try {
        f = ComplianceDocuments.Format.valueOf(format.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        System.err.println("custos: --format must be json, html or pdf");
        return 1;
      }
      for (Path d : testReports) {
        if (!Files.isDirectory(d)) {
          System.err.println("custos: --test-reports: not a directory: " + d);
          return 1;
        }
      }
      CustosConfig c = CustosConfig.load(config);
      ComplianceReport r;
      // A fleet's evidence (its ledger and last PHI scan) is in its databases, whichever replica this runs beside.
      try (var state = ServerAssembly.stateStore(c.database(), java.time.Clock.systemUTC())) {
        r = ComplianceChecks.run(c, ComplianceEvidence.gather(ServerAssembly.complianceSources(c, ServerAssembly.fleetState(state))
            .withTestReports(testReports), Instant.now()), ServerAssembly.VERSION);
      }
      Files.write(out, ComplianceDocuments.render(r, f));
      System.out.println(r.passed() + " passed, " + r.failed() + " failed; written " + out);
      return r.failed() == 0 ? 0 : FAILING;
    }
  }
}
