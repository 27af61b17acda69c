package io.custos.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import io.custos.sql.SqlUpstream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custos sql describe}: what the SQL upstream exposes, for the compliance officer. */
@Command(name = "sql", mixinStandardHelpOptions = true, description = "Inspect the SQL upstream (legacy databases).",
    subcommands = SqlCommand.Describe.class)
final class SqlCommand {

  /**
   * Connects with the configured account (so the grant inspection runs as at start) and prints, as JSON, each SQL tool,
   * the tables it reads and each column with its classification, the analyst tool's limits and the pool's bounds; the
   * same document as the {@value SqlUpstream#CATALOG_URI} resource. Names only, never data. Exit 1 when the
   * configuration has no {@code sql} section or the start-up checks refuse it.
   */
  @Command(name = "describe", description = "Print each SQL tool, its tables and columns with their classification (JSON).")
  static final class Describe implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Path to custos.yaml.")
    Path config;

    @Override
    public Integer call() throws Exception {
      CustosConfig cfg = CustosConfig.load(config);
      if (cfg.sql() == null) {
        throw new ConfigException("no sql section in " + config.getFileName());
      }
      try (SqlUpstream sql = SqlUpstream.open(cfg.sql())) {
        System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(sql.document()));
      }
      return 0;
    }
  }
}
