package io.custos.phi;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.tools.PolicyDocument;
import io.custos.tools.ToolManifest;
import java.util.HashSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tool manifest pinning: any change to a tool declaration must come with a policy version change. */
class ToolManifestTest {

  @Test
  void theManifestIsPinnedToTheCurrentPolicyVersion() {
    ToolManifest m = ToolManifest.of(io.custos.routes.TestPaths.registry());
    assertThat(m.sha256())
        .as("Tool declarations changed. Add a new ToolManifest.PINNED entry with a new POLICY_VERSION and this hash "
            + "(do not edit existing entries): %s", m.sha256())
        .isEqualTo(ToolManifest.PINNED.get(ToolManifest.POLICY_VERSION));
    assertThat(new HashSet<>(ToolManifest.PINNED.values())).as("each policy version pins a distinct manifest")
        .hasSize(ToolManifest.PINNED.size());
  }

  @Test
  void thePolicyPublishesTheCommittedPin() {
    Map<?, ?> published = (Map<?, ?>) PolicyDocument.of(io.custos.routes.TestPaths.registry()).get("toolManifest");
    assertThat(published.get("policyVersion")).isEqualTo(ToolManifest.POLICY_VERSION);
    assertThat(published.get("sha256")).as("the hash a client sees is the committed one, not one recomputed per build")
        .isEqualTo(ToolManifest.PINNED.get(ToolManifest.POLICY_VERSION));
    assertThat(published.get("pinned")).isEqualTo(true);
  }
}
