package io.custos.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.config.CustosConfig;
import io.custos.policy.RolePolicy;
import io.custos.routes.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** README's role table is the registry's: regenerate it with {@code ./custos policy roles} when a declaration changes. */
class ReadmeRoleTableTest {
  @Test
  void readmeShowsTheRegistrysRoleTable() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String begin = "<!-- role-table:begin -->\n";
    int from = readme.indexOf(begin);
    int to = readme.indexOf("<!-- role-table:end -->");
    assertThat(from).as("README has the role-table markers").isNotNegative();
    String expected = PolicyCommand.roleTable(TestPaths.registry(), RolePolicy.DEFAULT_ROLES, CustosConfig.DEFAULT_BREAK_GLASS_ROLES);
    assertThat(readme.substring(from + begin.length(), to)).as("README role table; regenerate with ./custos policy roles")
        .isEqualTo(expected);
    assertThat(expected).contains("`get_prior_authorization_status`", "`break_the_glass`", "`cohort_extract`", "`book_appointment`");
  }
}
