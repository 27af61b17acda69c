package io.custos.writes;

import io.custos.phi.UntrustedText;
import io.custos.fhir.UpstreamNeed;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Reference;

/**
 * {@code draft_clinical_note}: a FHIR R4 DocumentReference (&sect;10.4) for the clinician's review queue:
 * {@code status = current}, {@code docStatus = preliminary}, {@code type} a LOINC note type, {@code category}
 * US Core {@code clinical-note}, {@code subject} the patient, {@code date} the proposal time, {@code author} the
 * user's {@code fhirUser}, {@code content.attachment} inline {@code text/plain} (UTF-8), optional
 * {@code context.encounter} (which must belong to the patient).
 */
final class ClinicalNoteAction implements WriteAction {

  /** Reads the Encounter the note is linked to. */
  @Override
  public List<UpstreamNeed> upstreamNeeds() {
    return List.of(UpstreamNeed.interaction("Encounter", UpstreamNeed.Interaction.READ));
  }
  /** note_type -> LOINC code and display. */
  static final Map<String, String[]> TYPES = Map.of(
      "progress-note", new String[] {"11506-3", "Progress note"},
      "consult-note", new String[] {"11488-4", "Consult note"},
      "history-and-physical", new String[] {"34117-2", "History and physical note"},
      "discharge-summary", new String[] {"18842-5", "Discharge summary"});

  @Override
  public Draft draft(Context ctx) {
    var args = ctx.args();
    String type = args.string("note_type").orElse("progress-note");
    String[] loinc = TYPES.get(type);
    String title = args.required("title").strip();
    String text = args.required("text");
    if (title.isEmpty() || text.isBlank()) {
      throw FhirWrites.invalid("title and text must not be blank.");
    }
    DocumentReference d = new DocumentReference();
    d.addIdentifier(FhirWrites.proposalIdentifier(ctx.proposalId()));
    d.setStatus(Enumerations.DocumentReferenceStatus.CURRENT);
    d.setDocStatus(DocumentReference.ReferredDocumentStatus.PRELIMINARY);
    d.setType(new CodeableConcept().addCoding(new Coding("http://loinc.org", loinc[0], loinc[1])).setText(loinc[1]));
    d.addCategory(new CodeableConcept().addCoding(new Coding(
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note", "Clinical Note")));
    d.setSubject(FhirWrites.patient(ctx.patientId()));
    d.setDateElement(new org.hl7.fhir.r4.model.InstantType(Date.from(ctx.now())));
    FhirWrites.user(ctx.caller()).ifPresent(author -> d.addAuthor(author.setDisplay(ctx.caller().subject())));
    d.setDescription(title);
    Attachment a = new Attachment().setContentType("text/plain; charset=utf-8").setLanguage("en")
        .setData(text.getBytes(StandardCharsets.UTF_8)).setTitle(title);
    a.setCreationElement(FhirWrites.dateTime(ctx.now()));
    d.addContent().setAttachment(a);
    args.string("encounter_id").ifPresent(id -> {
      FhirWrites.readOwned(ctx.upstream(), "Encounter", id, ctx.patientId(), "subject");
      d.getContext().addEncounter(new Reference("Encounter/" + id));
    });
    String preview = "DRAFT clinical note (status preliminary; a clinician reviews it before it becomes final)\n"
        + "Patient: Patient/" + ctx.patientId() + "\n"
        + "Type: " + loinc[1] + " (LOINC " + loinc[0] + ")\n"
        + "Title: " + UntrustedText.reveal(title) + "\n"
        + "Author: " + FhirWrites.user(ctx.caller()).map(Reference::getReference).orElse(ctx.caller().subject()) + "\n"
        + args.string("encounter_id").map(e -> "Encounter: Encounter/" + e + "\n").orElse("")
        + "Text (" + text.length() + " characters):\n" + UntrustedText.reveal(text);
    return new Draft(d, preview, Map.of(), Map.of());
  }
}
