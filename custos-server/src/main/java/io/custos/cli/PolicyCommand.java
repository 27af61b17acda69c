package io.custos.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.tools.PolicyDocument;
import io.custos.tools.ToolCatalog;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code custos policy check}: prints the active tool policy as the server enforces it. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Inspect the tool policy.",
    subcommands = PolicyCommand.Check.class)
final class PolicyCommand {
  @Command(name = "check", description = "Validate the tool declarations and print the enforced policy as JSON.")
  static final class Check implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(PolicyDocument.of(io.custos.routes.Routes.registry(ToolCatalog.readTools(), io.custos.writes.WriteTools.standard()))));
      return 0;
    }
  }
}
