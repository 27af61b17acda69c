package io.custos.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.fhir.UpstreamException;
import io.custos.phi.research.CohortService;
import io.custos.policy.AccessControl;
import io.custos.tools.ResearchTools;
import java.util.ArrayList;
import java.util.List;

/**
 * The two stages that differ for the researcher tools ({@link ResearchTools}: de-identified, cross-patient),
 * run between the pipeline's own authenticate, audit-intent and audit-result stages (see
 * {@link GovernancePipeline#research}). The FHIR-read stages do not fit: there is no one bound patient, and
 * the result is built by {@link CohortService} from Safe Harbor de-identified data, never identified records.
 */
final class ResearchStages {
  private ResearchStages() {}

  /** Authorize for research: role lists the tool; {@code user/} scopes for every resource type read; MFA. */
  static final class Authorize implements Stage {
    private final AccessControl access;

    Authorize(AccessControl access) {
      this.access = access;
    }

    @Override
    public void apply(ToolExchange ex) {
      var d = declaration(ex.call.toolName());
      if (!access.roles().allows(ex.caller, d.name())) {
        throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "Your role does not permit this tool.");
      }
      List<String> granted = new ArrayList<>();
      for (String type : List.of("Patient", "Condition")) {
        // Cross-patient analytics: a patient/ scope (one patient's app) never qualifies.
        var g = access.scopes().grant(ex.caller, type).filter(s -> !s.context().equals("patient"));
        if (g.isEmpty()) {
          throw new ToolCallException(ToolCallException.Reason.INSUFFICIENT_SCOPE,
              "No granted scope permits this tool; it needs " + String.join(" and ", d.requiredScopes()) + ".");
        }
        if (!granted.contains(g.get().scope())) {
          granted.add(g.get().scope());
        }
      }
      if (access.requireMfa() && !ex.caller.mfa()) {
        throw new ToolCallException(ToolCallException.Reason.MFA_REQUIRED,
            "This tool requires multi-factor authentication; sign in again with MFA (step-up).");
      }
      ex.scope = String.join(" ", granted);
    }
  }

  /** Runs the cohort query (upstream as the caller) and de-identifies; fills the result fields. */
  static final class Cohort implements Stage {
    private final CohortService cohorts;
    private final ObjectMapper mapper;

    Cohort(CohortService cohorts, ObjectMapper mapper) {
      this.cohorts = cohorts;
      this.mapper = mapper;
    }

    @Override
    public void apply(ToolExchange ex) {
      try {
        ex.structured = cohorts.call(ex.caller, ex.call.toolName(), ex.call.arguments());
      } catch (UpstreamException e) {
        throw UpstreamFetch.toToolError(e);
      }
      try {
        ex.resultJson = mapper.writeValueAsString(ex.structured);
      } catch (JsonProcessingException e) {
        throw new ToolCallException(ToolCallException.Reason.INTERNAL, "Internal error; the call was not completed.");
      }
      ex.recordCount = ex.structured.get("items") instanceof List<?> items ? items.size()
          : ex.structured.get("count") instanceof Integer n ? n : 0;
      ex.resultSha256 = FilterRedact.sha256(ex.resultJson);
    }
  }

  static ResearchTools.Declaration declaration(String name) {
    return ResearchTools.all().stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new ToolCallException(ToolCallException.Reason.UNKNOWN_TOOL, "Unknown tool."));
  }
}
