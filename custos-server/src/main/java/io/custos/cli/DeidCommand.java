package io.custos.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.phi.deid.DeidConfig;
import io.custos.phi.deid.DeidReport;
import java.security.SecureRandom;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custos deid report}: which Safe Harbor identifier kinds the de-identification configuration covers, and how. */
@Command(name = "deid", mixinStandardHelpOptions = true, description = "De-identification (45 CFR 164.514(b)).",
    subcommands = DeidCommand.Report.class)
final class DeidCommand {
  @Command(name = "report", description = "Print the coverage of the 18 Safe Harbor identifier kinds (A-R) by the active configuration.")
  static final class Report implements Callable<Integer> {
    @Option(names = "--date-shift", description = "Report the date-shift configuration instead of year-only dates.")
    boolean dateShift;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      byte[] key = new byte[32]; // the report does not depend on the key; a throwaway key is used
      new SecureRandom().nextBytes(key);
      LocalDate today = LocalDate.now(ZoneOffset.UTC);
      DeidConfig config = dateShift ? DeidConfig.dateShift(key, today) : DeidConfig.safeHarbor(key, today);
      System.out.println(json ? new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(DeidReport.of(config))
          : DeidReport.text(config));
      return 0;
    }
  }
}
