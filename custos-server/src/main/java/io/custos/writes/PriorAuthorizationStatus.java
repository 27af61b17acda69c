package io.custos.writes;

import ca.uhn.fhir.context.FhirContext;
import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamNeed;
import io.custos.phi.ElementAllowlist;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.UntrustedText;
import io.custos.phi.WithheldTally;
import io.custos.pipeline.Completion;
import io.custos.pipeline.Stage;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCallException;
import io.custos.tools.Access;
import io.custos.tools.OperationSpec;
import io.custos.tools.Route;
import io.custos.tools.Schemas;
import io.custos.tools.ToolHints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.ClaimResponse;
import org.hl7.fhir.r4.model.Resource;

/**
 * {@value WriteTools#PRIOR_AUTH_STATUS}: the patient's prior authorization request (FHIR Claim with
 * {@code use = preauthorization}) and the payer's ClaimResponses answering it. Takes the {@link Route#STATUS} route:
 * authorized, bound to the patient and audited like a read, and its FHIR data passes the minimum-necessary filter
 * (sensitive categories withheld unless the caller's role permits them; only the elements below, 45 CFR 164.514(d)).
 */
public final class PriorAuthorizationStatus {
  static final List<String> CLAIM_ELEMENTS = List.of("Claim.id", "Claim.status", "Claim.use", "Claim.created", "Claim.patient");
  static final List<String> RESPONSE_ELEMENTS = List.of("ClaimResponse.id", "ClaimResponse.status", "ClaimResponse.outcome",
      "ClaimResponse.disposition", "ClaimResponse.preAuthRef", "ClaimResponse.created", "ClaimResponse.patient",
      "ClaimResponse.request");
  static final int MAX_RESPONSES = 20;
  /** Upper bound on the characters of a payer's disposition message. */
  static final int MAX_DISPOSITION_CHARS = 2_000;

  private final FhirUpstream upstream;
  private final SensitiveCategories sensitive;
  private final SensitiveDataPolicy policy;
  private final ElementAllowlist claimElements;
  private final ElementAllowlist responseElements;

  public PriorAuthorizationStatus(FhirUpstream upstream, FhirContext fhir, SensitiveCategories sensitive, SensitiveDataPolicy policy) {
    this.upstream = upstream;
    this.sensitive = sensitive;
    this.policy = policy;
    this.claimElements = new ElementAllowlist(fhir, "Claim", CLAIM_ELEMENTS);
    this.responseElements = new ElementAllowlist(fhir, "ClaimResponse", RESPONSE_ELEMENTS);
  }

  public static OperationSpec declaration() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "object");
    Map<String, Object> response = Map.of("type", "object", "properties", Map.of(
        "id", Map.of("type", "string"), "status", Map.of("type", "string"), "outcome", Map.of("type", "string"),
        "disposition", Schemas.untrusted("The payer's disposition message"), "pre_auth_ref", Map.of("type", "string"),
        "created", Map.of("type", "string")));
    out.put("properties", Map.of(
        "patient_id", Map.of("type", "string", "description", "The patient"),
        "claim", Map.of("type", "object", "description", "The prior authorization request", "properties", Map.of(
            "id", Map.of("type", "string"), "status", Map.of("type", "string"), "use", Map.of("type", "string"),
            "created", Map.of("type", "string"))),
        "responses", Map.of("type", "array", "description", "The payer's answers, oldest first", "items", response),
        "authorization_status", Map.of("type", "string", "description", "The latest outcome, or pending"),
        "withheld", Map.of("type", "object", "description", "Answers withheld as sensitive categories")));
    return OperationSpec.builder(WriteTools.PRIOR_AUTH_STATUS).title("Prior authorization status")
        .description("Status of a prior authorization request (FHIR Claim with use 'preauthorization') from the payer's "
            + "ClaimResponse: outcome, disposition and authorization number; 'pending' until the payer answers. "
            + Schemas.UNTRUSTED_DATA + ".")
        .input(WriteTools.statusInputSchema()).output(out).hints(ToolHints.READ)
        .scopes("user/ClaimResponse.rs", "patient/ClaimResponse.rs").route(Route.STATUS)
        .access(Access.readPatient("ClaimResponse"))
        .needs(UpstreamNeed.interaction("Claim", UpstreamNeed.Interaction.READ),
            UpstreamNeed.interaction("ClaimResponse", UpstreamNeed.Interaction.SEARCH_TYPE),
            UpstreamNeed.searchParam("ClaimResponse", "request"))
        .build();
  }

  /** Reads the Claim (the patient's, a preauthorization) and its ClaimResponses, and filters them. */
  public Stage fetchAndFilter() {
    return Stage.step(StageName.FETCH, ex -> {
      Caller caller = ex.caller();
      String pid = ex.patientId().orElseThrow();
      String claimId = ex.arguments().required("claim_id");
      FhirUpstream up = upstream.as(caller);
      Claim claim;
      List<Resource> answers;
      try {
        claim = (Claim) FhirWrites.readOwned(up, "Claim", claimId, pid, "patient");
        answers = FhirWrites.search(up, "ClaimResponse", Map.of("request", List.of("Claim/" + claimId)), MAX_RESPONSES);
      } catch (UpstreamException e) {
        throw ToolCallException.fromUpstream(e);
      }
      if (claim.getUse() != Claim.Use.PREAUTHORIZATION) {
        throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "No prior authorization request with this id for this patient.");
      }
      ex.passedStage(StageName.FILTER);
      if (ex.withheldByConsent(claim)) {
        throw new ToolCallException(ToolCallException.Reason.CONSENT,
            "The record is withheld: the patient's consent does not permit it for this caller or purpose.");
      }
      if (!permitted(caller, claim)) {
        throw new ToolCallException(ToolCallException.Reason.FORBIDDEN,
            "The record is withheld: it is in a sensitive category that this caller's role does not permit.");
      }
      Claim c = claimElements.apply(claim);
      WithheldTally withheld = new WithheldTally();
      List<Map<String, Object>> responses = new ArrayList<>();
      for (Resource r : answers) {
        if (!(r instanceof ClaimResponse cr) || !cr.getPatient().getReferenceElement().getIdPart().equals(pid)) {
          continue; // outside the patient's compartment
        }
        if (ex.withheldByConsent(cr)) {
          withheld.addConsent();
          continue;
        }
        Set<SensitiveCategory> categories = sensitive.classify(cr);
        if (!categories.isEmpty() && !policy.permitsAll(caller, categories)) {
          withheld.add(categories);
          continue;
        }
        responses.add(project(responseElements.apply(cr)));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("patient_id", pid);
      out.put("claim", Map.of("id", claimId, "status", c.hasStatus() ? c.getStatus().toCode() : "", "use", c.getUse().toCode(),
          "created", c.hasCreated() ? c.getCreatedElement().getValueAsString() : ""));
      out.put("responses", responses);
      out.put("authorization_status", responses.isEmpty() ? "pending (no ClaimResponse from the payer yet)"
          : String.valueOf(responses.get(responses.size() - 1).getOrDefault("outcome", "pending")));
      if (!withheld.isEmpty()) {
        out.put("withheld", withheld.toJson());
      }
      ex.result(out, 1 + responses.size(), Completion.SUCCESS);
    });
  }

  private boolean permitted(Caller caller, Resource r) {
    Set<SensitiveCategory> categories = sensitive.classify(r);
    return categories.isEmpty() || policy.permitsAll(caller, categories);
  }

  private static Map<String, Object> project(ClaimResponse cr) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", cr.getIdPart());
    m.put("status", cr.hasStatus() ? cr.getStatus().toCode() : null);
    m.put("outcome", cr.hasOutcome() ? cr.getOutcome().toCode() : null);
    m.put("disposition", UntrustedText.marked(cr.getDisposition(), MAX_DISPOSITION_CHARS));
    m.put("pre_auth_ref", UntrustedText.label(cr.getPreAuthRef()));
    m.put("created", cr.hasCreated() ? cr.getCreatedElement().getValueAsString() : null);
    m.values().removeIf(Objects::isNull);
    return m;
  }
}
