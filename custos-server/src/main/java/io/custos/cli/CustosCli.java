package io.custos.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * {@code custos}: the command-line entry point (picocli). Every command and subcommand inherits
 * {@code --help} and {@code --version} ({@link ScopeType#INHERIT}); {@code --help} wins over missing required options.
 */
@Command(name = "custos", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, version = "custos " + ServerAssembly.VERSION,
    description = "HIPAA-grade MCP server: governed, audited access for AI agents to FHIR R4 clinical data.",
    subcommands = {ServeCommand.class, DemoCommand.class, SyntheaCommand.class, PolicyCommand.class, AuditCommand.class,
        IncidentCommand.class,
        KeysCommand.class, DeidCommand.class, ComplianceCommand.class, SqlCommand.class, PhiCommand.class})
public final class CustosCli implements Runnable {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The full command tree; errors print a short message, never a stack trace. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new CustosCli());
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("custos: " + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
      return 1;
    });
    return cli;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
