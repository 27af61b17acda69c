package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --help} works on every command and subcommand of the picocli tree, also where options are required
 * (e.g. {@code custos audit verify --help} once failed with "Missing required option").
 */
class CliHelpTest {

  @Test
  void everyCommandPrintsUsageOnHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(CustosCli.commandLine(), new ArrayList<>(), paths);
    assertThat(paths).as("the tree holds the nested commands").contains(List.of("audit", "verify"), List.of("demo", "token"));
    for (List<String> path : paths) {
      CommandLine cli = CustosCli.commandLine();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      int rc = cli.execute(args.toArray(String[]::new));
      String name = String.join(" ", path);
      assertThat(rc).as("custos %s --help: %s", name, err).isZero();
      assertThat(out.toString()).as(name).startsWith("Usage: custos" + (path.isEmpty() ? "" : " " + name));
      assertThat(err.toString()).as(name).isEmpty();
    }
  }

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> into) {
    into.add(List.copyOf(path));
    cmd.getSubcommands().forEach((name, sub) -> {
      if (sub.getCommandName().equals(name)) { // aliases are the same command
        List<String> next = new ArrayList<>(path);
        next.add(name);
        collect(sub, next, into);
      }
    });
  }
}
