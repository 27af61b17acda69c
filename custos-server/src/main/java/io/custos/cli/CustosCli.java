package io.custos.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code custos}: the command-line entry point (picocli). */
@Command(name = "custos", mixinStandardHelpOptions = true, version = "custos " + ServerAssembly.VERSION,
    description = "HIPAA-grade MCP server: governed, audited access for AI agents to FHIR R4 clinical data.",
    subcommands = {ServeCommand.class, DemoCommand.class, SyntheaCommand.class, PolicyCommand.class, AuditCommand.class,
        KeysCommand.class, DeidCommand.class})
public final class CustosCli implements Runnable {

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new CustosCli());
    // Errors print a short message, never a stack trace.
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      cmd.getErr().println("custos: " + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
      return 1;
    });
    System.exit(cli.execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
