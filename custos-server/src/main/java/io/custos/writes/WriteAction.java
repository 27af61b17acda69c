package io.custos.writes;

import io.custos.pipeline.ToolCallException;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamNeed;
import io.custos.fhir.WriteOutcome;
import io.custos.tools.ToolArguments;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.Resource;

/**
 * What one write tool does: {@link #draft} validates and builds the exact FHIR resource (reading the upstream as
 * needed, writing nothing) with a human-readable preview; {@link #commit} writes the approved resource once.
 */
public interface WriteAction {

  /**
   * Inputs of a draft.
   *
   * @param args       schema-validated arguments (without {@code proposal_id})
   * @param patientId  the bound patient (never free text)
   * @param caller     the proposing user
   * @param upstream   the FHIR server, for validation reads only
   * @param now        proposal time
   * @param proposalId the proposal id, recorded in the resource as its idempotency identifier
   */
  record Context(ToolArguments args, String patientId, Caller caller, FhirUpstream upstream, Instant now, String proposalId) {}

  /**
   * A drafted write.
   *
   * @param resource the exact resource to create (carrying the proposal identifier)
   * @param preview  what a person reads before approving
   * @param bindings facts the commit re-checks (e.g. the slot and its version), part of the hashed payload
   * @param details  extra structured result fields
   */
  record Draft(Resource resource, String preview, Map<String, String> bindings, Map<String, Object> details) {
    public Draft {
      bindings = bindings == null ? Map.of() : Map.copyOf(bindings);
      details = details == null ? Map.of() : Map.copyOf(details);
    }
  }

  /** @throws ToolCallException for invalid input (never echoing values) */
  Draft draft(Context ctx);

  /** What the action reads or updates upstream besides its conditional create; checked at start. */
  default List<UpstreamNeed> upstreamNeeds() {
    return List.of();
  }

  /**
   * Writes the approved resource exactly once: a conditional create on the proposal identifier (FHIR R4 3.1.0.8
   * {@code If-None-Exist}), so a retried commit cannot create a duplicate.
   *
   * @throws ToolCallException or {@link io.custos.fhir.UpstreamException} on failure
   */
  default WriteOutcome commit(Resource resource, Map<String, String> bindings, String proposalId, FhirUpstream upstream) {
    return upstream.create(resource, Optional.of(FhirWrites.ifNoneExist(proposalId)));
  }
}
