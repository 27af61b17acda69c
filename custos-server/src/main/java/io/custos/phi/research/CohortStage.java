package io.custos.phi.research;

import io.custos.fhir.UpstreamException;
import io.custos.pipeline.Completion;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolExchange;
import io.custos.pipeline.ToolOutcome;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;

/**
 * The research route's own stage: the de-identified cohort ({@link CohortService}: Safe Harbor rows or a count with
 * small cells suppressed), queried upstream with the caller's upstream credentials.
 */
public final class CohortStage implements Stage {
  private final CohortService cohorts;

  public CohortStage(CohortService cohorts) {
    this.cohorts = cohorts;
  }

  @Override
  public StageName name() {
    return StageName.COHORT;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    Map<String, Object> out;
    try {
      Set<String> consentApplied = new LinkedHashSet<>();
      try {
        out = cohorts.call(ex.caller(), ex.declaration().name(), ex.arguments(), consentApplied);
      } finally {
        ex.consentApplied(consentApplied); // which Consents left patients out, in the call's result event
      }
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e);
    }
    int records = out.get("items") instanceof List<?> items ? items.size() : out.get("count") instanceof Integer n ? n : 0;
    ex.result(out, records, Completion.SUCCESS);
    return next.proceed(ex);
  }
}
