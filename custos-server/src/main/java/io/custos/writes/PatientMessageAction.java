package io.custos.writes;

import io.custos.phi.UntrustedText;
import java.util.Map;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Communication;

/**
 * {@code send_patient_message}: a FHIR R4 Communication (&sect;13.x Communication) to the patient through the
 * secure portal: {@code status = completed}, {@code category} (communication-category {@code notification},
 * {@code reminder} or {@code instruction}), {@code medium} v3-ParticipationMode {@code ELECTRONIC},
 * {@code subject} and {@code recipient} the patient, {@code sender} the user's {@code fhirUser}, {@code topic}
 * the subject line, {@code payload.contentString} the message, {@code sent} the proposal time.
 */
final class PatientMessageAction implements WriteAction {
  @Override
  public Draft draft(Context ctx) {
    var args = ctx.args();
    String subject = args.required("subject").strip();
    String text = args.required("text");
    String category = args.string("category").orElse("notification");
    if (subject.isEmpty() || text.isBlank()) {
      throw FhirWrites.invalid("subject and text must not be blank.");
    }
    Communication c = new Communication();
    c.addIdentifier(FhirWrites.proposalIdentifier(ctx.proposalId()));
    c.setStatus(Communication.CommunicationStatus.COMPLETED);
    c.addCategory(new CodeableConcept().addCoding(
        new Coding("http://terminology.hl7.org/CodeSystem/communication-category", category, category)));
    c.addMedium(new CodeableConcept().addCoding(
        new Coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "ELECTRONIC", "electronic data")));
    c.setSubject(FhirWrites.patient(ctx.patientId()));
    c.addRecipient(FhirWrites.patient(ctx.patientId()));
    FhirWrites.user(ctx.caller()).ifPresent(c::setSender);
    c.setTopic(new CodeableConcept().setText(subject));
    c.addPayload().setContent(new org.hl7.fhir.r4.model.StringType(text));
    c.setSentElement(FhirWrites.dateTime(ctx.now()));
    String preview = "Secure message to the patient (portal)\n"
        + "To: Patient/" + ctx.patientId() + "\n"
        + "From: " + FhirWrites.user(ctx.caller()).map(r -> r.getReference()).orElse(ctx.caller().subject()) + "\n"
        + "Category: " + category + "\n"
        + "Subject: " + UntrustedText.reveal(subject) + "\n"
        + "Message (" + text.length() + " characters):\n" + UntrustedText.reveal(text);
    return new Draft(c, preview, Map.of(), Map.of());
  }
}
