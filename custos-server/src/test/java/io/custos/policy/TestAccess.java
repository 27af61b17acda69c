package io.custos.policy;

import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/** Access control for tests of pipeline mechanics. */
public final class TestAccess {
  private TestAccess() {}

  /**
   * Default roles and SMART scope matching, MFA required, care relationships NOT required: tests of pipeline
   * mechanics read arbitrary fixture patients; care relationships are covered by the authorization matrix test.
   */
  public static AccessControl withoutCareRelationships(Clock clock) {
    Set<String> names = io.custos.routes.TestPaths.registry().toolNames();
    return new AccessControl(RolePolicy.of(null, names), new ScopeCheck(Set.of()), (caller, patient) -> false, false, true,
        new BreakGlass(clock, Duration.ofMinutes(60), io.custos.state.InProcessStateStore.builder().clock(clock).build().grants()), Set.of("clinician", "nurse"));
  }
}
