package io.custos.writes;

import io.custos.phi.UntrustedText;
import io.custos.fhir.UpstreamNeed;
import io.custos.pipeline.ToolCallException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.Reference;

/**
 * {@code submit_prior_authorization}: a FHIR R4 Claim (&sect;13.10) with {@code use = preauthorization},
 * {@code status = active}, {@code type} claim-type {@code professional}, {@code patient}, {@code created},
 * {@code provider} the user's {@code fhirUser}, {@code priority} (processpriority), {@code insurance} the patient's
 * Coverage (given, or the active one found), {@code diagnosis.diagnosisReference} the supporting Conditions,
 * {@code supportingInfo.valueReference} other supporting resources (Observation, DocumentReference, Encounter,
 * MedicationRequest, Procedure), and one {@code item} with the requested service ({@code productOrService}) and
 * quantity. Every referenced resource must exist and belong to the patient. Its status is then tracked through
 * ClaimResponse ({@code request} = the Claim) with {@code get_prior_authorization_status}.
 */
final class PriorAuthorizationAction implements WriteAction {

  /** Reads the Coverage and the Condition the request cites. */
  @Override
  public List<UpstreamNeed> upstreamNeeds() {
    return List.of(UpstreamNeed.interaction("Coverage", UpstreamNeed.Interaction.READ),
        UpstreamNeed.interaction("Condition", UpstreamNeed.Interaction.READ));
  }
  static final Map<String, String> CODE_SYSTEMS = Map.of(
      "cpt", "http://www.ama-assn.org/go/cpt",
      "snomed", "http://snomed.info/sct",
      "hcpcs", "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets");
  static final List<String> SUPPORTING_TYPES = List.of("Observation", "DocumentReference", "Encounter", "MedicationRequest",
      "Procedure");

  @Override
  public Draft draft(Context ctx) {
    var args = ctx.args();
    String pid = ctx.patientId();
    @SuppressWarnings("unchecked")
    List<String> conditions = args.values().get("diagnosis_condition_ids") instanceof List<?> l ? (List<String>) l : List.of();
    @SuppressWarnings("unchecked")
    List<String> supporting = args.values().get("supporting_info") instanceof List<?> l ? (List<String>) l : List.of();
    Coverage coverage = args.string("coverage_id")
        .map(id -> (Coverage) FhirWrites.readOwned(ctx.upstream(), "Coverage", id, pid, "beneficiary"))
        .orElseGet(() -> FhirWrites.search(ctx.upstream(), "Coverage", Map.of("beneficiary", List.of("Patient/" + pid),
                "status", List.of("active")), 5).stream().map(r -> (Coverage) r).findFirst()
            .orElseThrow(() -> new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The patient has no active coverage to submit to.")));
    Claim c = new Claim();
    c.addIdentifier(FhirWrites.proposalIdentifier(ctx.proposalId()));
    c.setStatus(Claim.ClaimStatus.ACTIVE);
    c.setType(new CodeableConcept().addCoding(
        new Coding("http://terminology.hl7.org/CodeSystem/claim-type", "professional", "Professional")));
    c.setUse(Claim.Use.PREAUTHORIZATION);
    c.setPatient(FhirWrites.patient(pid));
    c.setCreatedElement(FhirWrites.dateTime(ctx.now()));
    c.setProvider(FhirWrites.user(ctx.caller()).orElse(new Reference().setDisplay(ctx.caller().subject())));
    String priority = args.string("priority").orElse("normal");
    c.setPriority(new CodeableConcept().addCoding(new Coding("http://terminology.hl7.org/CodeSystem/processpriority", priority, priority)));
    c.addInsurance().setSequence(1).setFocal(true).setCoverage(new Reference("Coverage/" + coverage.getIdPart()));
    coverage.getPayor().stream().filter(Reference::hasReference).findFirst().ifPresent(p -> c.setInsurer(p.copy()));
    List<String> lines = new ArrayList<>();
    int seq = 1;
    for (String id : conditions) {
      var cond = (org.hl7.fhir.r4.model.Condition) FhirWrites.readOwned(ctx.upstream(), "Condition", id, pid, "subject");
      c.addDiagnosis().setSequence(seq++).setDiagnosis(new Reference("Condition/" + id));
      lines.add("  Diagnosis: Condition/" + id + " " + display(cond.getCode()));
    }
    seq = 1;
    for (String ref : supporting) {
      String type = ref.substring(0, ref.indexOf('/'));
      String id = ref.substring(ref.indexOf('/') + 1);
      FhirWrites.readOwned(ctx.upstream(), type, id, pid, "subject"); // all SUPPORTING_TYPES link the patient as subject
      c.addSupportingInfo().setSequence(seq++).setCategory(new CodeableConcept().addCoding(
              new Coding("http://terminology.hl7.org/CodeSystem/claiminformationcategory", "info", "Information")))
          .setValue(new Reference(ref));
      lines.add("  Supporting: " + ref);
    }
    String system = CODE_SYSTEMS.get(args.string("service_system").orElse("cpt"));
    String code = args.required("service_code");
    String serviceDisplay = args.string("service_display").orElse(null);
    int quantity = args.integer("quantity", 1);
    var item = c.addItem().setSequence(1)
        .setProductOrService(new CodeableConcept().addCoding(new Coding(system, code, serviceDisplay)))
        .setQuantity(new org.hl7.fhir.r4.model.Quantity(quantity));
    for (int i = 1; i <= conditions.size(); i++) {
      item.addDiagnosisSequence(i);
    }
    for (int i = 1; i <= supporting.size(); i++) {
      item.addInformationSequence(i);
    }
    String preview = "Prior authorization request (Claim, use preauthorization)\n"
        + "Patient: Patient/" + pid + "\n"
        + "Coverage: Coverage/" + coverage.getIdPart() + " " + coverage.getPayor().stream().map(p -> UntrustedText.label(p.getDisplay()))
            .filter(d -> d != null).findFirst().orElse("") + "\n"
        + "Provider: " + (c.getProvider().hasReference() ? c.getProvider().getReference() : ctx.caller().subject()) + "\n"
        + "Requested service: " + code + (serviceDisplay == null ? "" : " " + UntrustedText.reveal(serviceDisplay)) + " (" + system
        + "), quantity "
        + quantity + "\n"
        + "Priority: " + priority + "\n"
        + String.join("\n", lines);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("coverage_id", coverage.getIdPart());
    return new Draft(c, preview.strip(), Map.of(), details);
  }

  /** The concept's text, else its first display, as a label (record text, stripped like every tool's output). */
  private static String display(CodeableConcept cc) {
    String raw = cc.hasText() ? cc.getText() : cc.getCoding().stream().map(Coding::getDisplay).filter(d -> d != null).findFirst().orElse(null);
    return java.util.Objects.requireNonNullElse(UntrustedText.label(raw), "");
  }
}
