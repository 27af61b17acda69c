package io.custos.writes;

import io.custos.phi.UntrustedText;
import io.custos.fhir.UpstreamNeed;
import io.custos.fhir.UpstreamRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.QuestionnaireResponse;
import org.hl7.fhir.r4.model.StringType;

/**
 * {@code sync_intake_form}: a FHIR R4 QuestionnaireResponse (&sect;19.x) linked to the patient:
 * {@code questionnaire} canonical, {@code status = completed}, {@code subject} and {@code source} the patient,
 * {@code author} the user, {@code authored} the proposal time, one {@code item} (linkId, text, answer.valueString)
 * per answer. Answers whose {@code link_id} is a demographic field ({@code phone}, {@code email},
 * {@code address-line}, {@code city}, {@code state}, {@code postal-code}) and differ from the Patient resource are
 * listed as {@code proposed_demographic_changes}: proposed for a person to review in the EHR, never applied to
 * Patient by this tool. Current values are not disclosed, only which fields would change.
 */
final class IntakeFormAction implements WriteAction {

  /** Reads the Patient the answers are compared with. */
  @Override
  public List<UpstreamNeed> upstreamNeeds() {
    return List.of(UpstreamNeed.interaction("Patient", UpstreamNeed.Interaction.READ));
  }
  static final String DEFAULT_QUESTIONNAIRE = "urn:custos:questionnaire:patient-intake";

  /** Demographic link ids -> current values on Patient. */
  private static final Map<String, Function<Patient, List<String>>> DEMOGRAPHICS = demographics();

  private static Map<String, Function<Patient, List<String>>> demographics() {
    Map<String, Function<Patient, List<String>>> m = new LinkedHashMap<>();
    m.put("phone", p -> telecom(p, ContactPoint.ContactPointSystem.PHONE));
    m.put("email", p -> telecom(p, ContactPoint.ContactPointSystem.EMAIL));
    m.put("address-line", p -> p.getAddress().stream().flatMap(a -> a.getLine().stream()).map(StringType::getValue).toList());
    m.put("city", p -> p.getAddress().stream().map(Address::getCity).toList());
    m.put("state", p -> p.getAddress().stream().map(Address::getState).toList());
    m.put("postal-code", p -> p.getAddress().stream().map(Address::getPostalCode).toList());
    return m;
  }

  private static List<String> telecom(Patient p, ContactPoint.ContactPointSystem system) {
    return p.getTelecom().stream().filter(t -> t.getSystem() == system).map(ContactPoint::getValue).toList();
  }

  @Override
  public Draft draft(Context ctx) {
    var args = ctx.args();
    String pid = ctx.patientId();
    Patient patient = (Patient) ctx.upstream().execute(new UpstreamRequest.Read("Patient", pid)).resources().get(0);
    QuestionnaireResponse q = new QuestionnaireResponse();
    q.setIdentifier(FhirWrites.proposalIdentifier(ctx.proposalId()));
    String questionnaire = args.string("questionnaire").orElse(DEFAULT_QUESTIONNAIRE);
    q.setQuestionnaire(questionnaire);
    q.setStatus(QuestionnaireResponse.QuestionnaireResponseStatus.COMPLETED);
    q.setSubject(FhirWrites.patient(pid));
    q.setSource(FhirWrites.patient(pid));
    FhirWrites.user(ctx.caller()).ifPresent(q::setAuthor);
    q.setAuthoredElement(FhirWrites.dateTime(ctx.now()));
    List<Map<String, Object>> changes = new ArrayList<>();
    StringBuilder answers = new StringBuilder();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (Object o : (List<?>) args.values().get("answers")) {
      @SuppressWarnings("unchecked")
      Map<String, Object> a = (Map<String, Object>) o;
      String linkId = (String) a.get("link_id");
      if (!seen.add(linkId)) {
        throw FhirWrites.invalid("answers: each link_id may appear once.");
      }
      String text = a.get("question") instanceof String s ? s : null;
      String value = (String) a.get("answer");
      var item = q.addItem().setLinkId(linkId).setText(text);
      item.addAnswer().setValue(new StringType(value));
      answers.append("  ").append(UntrustedText.reveal(text != null ? text : linkId)).append(": ").append(UntrustedText.reveal(value))
          .append('\n');
      var current = DEMOGRAPHICS.get(linkId.toLowerCase(Locale.ROOT));
      if (current != null && current.apply(patient).stream().noneMatch(v -> v != null && normalize(v).equals(normalize(value)))) {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("field", linkId.toLowerCase(Locale.ROOT));
        change.put("proposed_value", UntrustedText.reveal(value));
        change.put("applied", false);
        changes.add(change);
      }
    }
    StringBuilder preview = new StringBuilder("Intake form (QuestionnaireResponse, completed)\n")
        .append("Patient: Patient/").append(pid).append('\n')
        .append("Questionnaire: ").append(UntrustedText.reveal(questionnaire)).append('\n')
        .append("Answers:\n").append(answers);
    if (!changes.isEmpty()) {
      preview.append("Demographic changes implied by the answers (PROPOSED ONLY, not applied to the patient record; "
          + "review and update the record in the EHR):\n");
      changes.forEach(c -> preview.append("  ").append(c.get("field")).append(" -> ").append(c.get("proposed_value")).append('\n'));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("proposed_demographic_changes", changes);
    return new Draft(q, preview.toString().strip(), Map.of(), details);
  }

  private static String normalize(String s) {
    return s.replaceAll("[\\s().-]", "").toLowerCase(Locale.ROOT);
  }
}
