package io.custos.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.tools.PolicyDocument;
import io.custos.config.CustosConfig;
import io.custos.policy.RolePolicy;
import io.custos.routes.Routes;
import io.custos.tools.Declaration;
import io.custos.tools.Registry;
import io.custos.tools.Route;
import io.custos.tools.ToolCatalog;
import io.custos.writes.WriteTools;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code custos policy check|roles}: the active policy as the server enforces it, and the role table README shows. */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Inspect the tool policy.",
    subcommands = {PolicyCommand.Check.class, PolicyCommand.Roles.class})
final class PolicyCommand {
  @Command(name = "check", description = "Validate the tool declarations and print the enforced policy as JSON.")
  static final class Check implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(PolicyDocument.of(Routes.registry(ToolCatalog.readTools(), WriteTools.standard()))));
      return 0;
    }
  }

  @Command(name = "roles", description = "Print the default role table (Markdown): which role may call which tool, its route and "
      + "scopes. README's table is this output.")
  static final class Roles implements Callable<Integer> {
    @Override
    public Integer call() {
      System.out.print(roleTable(Routes.registry(ToolCatalog.readTools(), WriteTools.standard()), RolePolicy.DEFAULT_ROLES,
          CustosConfig.DEFAULT_BREAK_GLASS_ROLES));
      return 0;
    }
  }

  /**
   * The role table: one row per MCP tool of {@code registry}, one column per role of {@code roles}, an {@code x} where the
   * role may call the tool ({@code break_the_glass}: the roles in {@code breakGlassRoles}).
   */
  static String roleTable(Registry registry, Map<String, List<String>> roles, List<String> breakGlassRoles) {
    List<String> names = roles.keySet().stream().sorted().toList();
    StringBuilder b = new StringBuilder("| tool | route | SMART scopes |");
    names.forEach(r -> b.append(" ").append(r).append(" |"));
    b.append("\n|---|---|---|");
    names.forEach(r -> b.append("---|"));
    b.append("\n");
    for (Declaration d : registry.of(Declaration.Kind.TOOL)) {
      b.append("| `").append(d.name()).append("` | ").append(d.route().name().toLowerCase(Locale.ROOT).replace('_', ' '))
          .append(" | ").append(String.join(d.access().resourceTypes().size() > 1 ? " and " : " or ", d.requiredScopes()))
          .append(" |");
      for (String role : names) {
        boolean allowed = d.route() == Route.EMERGENCY_ACCESS ? breakGlassRoles.contains(role) : roles.get(role).contains(d.name());
        b.append(allowed ? " x |" : " |");
      }
      b.append("\n");
    }
    return b.toString();
  }
}
