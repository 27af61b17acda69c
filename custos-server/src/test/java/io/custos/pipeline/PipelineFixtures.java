package io.custos.pipeline;

import io.custos.auth.Caller;
import io.custos.fhir.SearchPage;
import io.custos.tools.ToolSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Resource;

/** Builds {@link ToolExchange}s for stage-level tests (same package: the exchange is package-private). */
final class PipelineFixtures {
  private PipelineFixtures() {}

  static Caller caller(Set<String> roles, Set<String> scopes, String patient) {
    return new Caller("tester", "test-client", Optional.empty(), roles, scopes, Optional.ofNullable(patient), true, "t",
        Instant.MAX);
  }

  /** An exchange as FilterRedact sees it: authorized for {@code patientId}, with {@code resources} fetched. */
  static ToolExchange fetched(ToolSpec spec, Caller caller, String patientId, List<? extends Resource> resources) {
    ToolExchange ex = new ToolExchange(new ToolCall(spec.name(), Map.of("patient_id", patientId), Optional.of(caller), null, "test"));
    ex.caller = caller;
    ex.declaration = spec;
    ex.patientId = spec.patientScoped() ? patientId : null;
    ex.page = new SearchPage(List.copyOf(resources), Optional.empty());
    return ex;
  }

  static Map<String, Object> structured(ToolExchange ex) {
    return ex.structured;
  }
}
