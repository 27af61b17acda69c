package io.custos.writes;

import io.custos.tools.ToolHints;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The human-approved write tools, declared as data. This list is the source of
 * truth for {@code tools/list}, role checks and enforcement of the write tools.
 */
public final class WriteTools {
  /** Name of the prior-authorization status tool (a read of Claim and ClaimResponse, no approval needed). */
  public static final String PRIOR_AUTH_STATUS = "get_prior_authorization_status";

  static final String ID = "^[A-Za-z0-9\\-.]{1,64}$";
  static final String PROPOSAL_ID = "^p-[A-Za-z0-9_-]{22}$";

  private final Map<String, WriteToolSpec> byName;

  private WriteTools(List<WriteToolSpec> specs) {
    Map<String, WriteToolSpec> m = new LinkedHashMap<>();
    specs.forEach(s -> m.put(s.name(), s));
    this.byName = java.util.Collections.unmodifiableMap(m);
  }

  /** The five write tools. */
  public static WriteTools standard() {
    return new WriteTools(List.of(clinicalNote(), appointment(), message(), priorAuthorization(), intake()));
  }

  public List<WriteToolSpec> tools() {
    return List.copyOf(byName.values());
  }

  public Optional<WriteToolSpec> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** Every tool name this class declares, including {@link #PRIOR_AUTH_STATUS} (for role policy validation). */
  public static List<String> names() {
    List<String> names = new ArrayList<>(standard().byName.keySet());
    names.add(PRIOR_AUTH_STATUS);
    return names;
  }

  // --- declarations ---------------------------------------------------------------------------

  private static final String FLOW = " Two-phase and human-approved: a first call (without proposal_id) writes NOTHING; it returns a "
      + "preview, a proposal_id and the payload's SHA-256. A person must approve: if your client supports elicitation "
      + "the user is asked at once and, when they approve, the write is committed in the same call; otherwise the user "
      + "approves on the approval page (approval_url) from their own signed-in application. Then call this tool again "
      + "with exactly the same arguments plus proposal_id to commit. You cannot approve on the user's behalf.";

  private static WriteToolSpec clinicalNote() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("patient_id", patientId());
    in.put("title", string("Short title of the note", null, 200));
    in.put("text", string("Note text (plain text)", null, 20_000));
    in.put("note_type", enumOf("LOINC note type (default progress-note)", List.copyOf(ClinicalNoteAction.TYPES.keySet()).stream().sorted().toList()));
    in.put("encounter_id", string("Optional FHIR id of the patient's Encounter the note belongs to", ID, 64));
    in.put("proposal_id", proposalId());
    return new WriteToolSpec("draft_clinical_note", "Draft clinical note",
        "Drafts a clinical note for the patient as a FHIR DocumentReference with docStatus 'preliminary' in the clinician's "
            + "review queue (text/plain)." + FLOW,
        "DocumentReference", object(in, List.of("patient_id", "title", "text")), output(),
        new ToolHints(false, false, false, false), scopes("DocumentReference", 'c'), 'c', new ClinicalNoteAction());
  }

  private static WriteToolSpec appointment() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("patient_id", patientId());
    in.put("practitioner_id", string("FHIR id of the Practitioner to book with", ID, 64));
    in.put("date_from", date("Earliest appointment date"));
    in.put("date_to", date("Latest appointment date (at most 31 days after date_from)"));
    in.put("service_type", string("Optional service-type code (e.g. 124 General Practice)", "^[A-Za-z0-9.-]{1,32}$", 32));
    in.put("slot_id", string("Optional FHIR id of a specific free Slot to book", ID, 64));
    in.put("description", string("Optional short description shown to the patient", null, 200));
    in.put("proposal_id", proposalId());
    return new WriteToolSpec("book_appointment", "Book appointment",
        "Finds the earliest free Slot on the practitioner's schedule in the date range (or the given slot_id) and books a FHIR "
            + "Appointment (status booked); a taken slot is refused with error slot_taken." + FLOW,
        "Appointment", object(in, List.of("patient_id", "practitioner_id", "date_from", "date_to")), output(),
        // destructive: marks an existing Slot busy (an update), not only a create
        new ToolHints(false, true, false, false), scopes("Appointment", 'c'), 'c', new AppointmentAction());
  }

  private static WriteToolSpec message() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("patient_id", patientId());
    in.put("subject", string("Subject line", null, 200));
    in.put("text", string("Message to the patient (plain text)", null, 5_000));
    in.put("category", enumOf("Communication category (default notification)", List.of("instruction", "notification", "reminder")));
    in.put("proposal_id", proposalId());
    return new WriteToolSpec("send_patient_message", "Send patient message",
        "Sends a secure portal message to the patient as a FHIR Communication (recipient: the patient; sender: you)." + FLOW,
        "Communication", object(in, List.of("patient_id", "subject", "text")), output(),
        // open world: the message reaches a person outside the system
        new ToolHints(false, false, false, true), scopes("Communication", 'c'), 'c', new PatientMessageAction());
  }

  private static WriteToolSpec priorAuthorization() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("patient_id", patientId());
    in.put("service_code", string("Code of the requested service or procedure", "^[A-Za-z0-9.-]{1,32}$", 32));
    in.put("service_system", enumOf("Code system of service_code (default cpt)", List.of("cpt", "hcpcs", "snomed")));
    in.put("service_display", string("Optional display text of the service", null, 200));
    in.put("quantity", Map.of("type", "integer", "minimum", 1, "maximum", 100, "description", "Units requested (default 1)"));
    in.put("priority", enumOf("Processing priority (default normal)", List.of("deferred", "normal", "stat")));
    in.put("coverage_id", string("Optional FHIR id of the patient's Coverage (default: the active one)", ID, 64));
    in.put("diagnosis_condition_ids", Map.of("type", "array", "minItems", 1, "maxItems", 10, "uniqueItems", true,
        "description", "FHIR ids of the patient's Conditions supporting the request",
        "items", Map.of("type", "string", "pattern", ID, "maxLength", 64)));
    in.put("supporting_info", Map.of("type", "array", "maxItems", 10, "uniqueItems", true,
        "description", "Other supporting resources of the patient as Type/id (Observation, DocumentReference, Encounter, "
            + "MedicationRequest, Procedure)",
        "items", Map.of("type", "string", "maxLength", 100,
            "pattern", "^(" + String.join("|", PriorAuthorizationAction.SUPPORTING_TYPES) + ")/[A-Za-z0-9\\-.]{1,64}$")));
    in.put("proposal_id", proposalId());
    return new WriteToolSpec("submit_prior_authorization", "Submit prior authorization",
        "Submits a prior authorization request as a FHIR Claim with use 'preauthorization' referencing the supporting "
            + "Conditions and other resources and the patient's Coverage. Track it with " + PRIOR_AUTH_STATUS + "." + FLOW,
        "Claim", object(in, List.of("patient_id", "service_code", "diagnosis_condition_ids")), output(),
        // open world: the request goes to the payer
        new ToolHints(false, false, false, true), scopes("Claim", 'c'), 'c', new PriorAuthorizationAction());
  }

  private static WriteToolSpec intake() {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("link_id", string("Question id; demographic ids: phone, email, address-line, city, state, postal-code",
        "^[A-Za-z0-9._-]{1,64}$", 64));
    answer.put("question", string("Question text", null, 200));
    answer.put("answer", string("The patient's answer", null, 1_000));
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("patient_id", patientId());
    in.put("questionnaire", string("Canonical URL of the Questionnaire (default " + IntakeFormAction.DEFAULT_QUESTIONNAIRE + ")",
        "^(https?://|urn:)[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,200}$", 220));
    in.put("answers", Map.of("type", "array", "minItems", 1, "maxItems", 100, "description", "The form's answers",
        "items", object(answer, List.of("link_id", "answer"))));
    in.put("proposal_id", proposalId());
    return new WriteToolSpec("sync_intake_form", "Sync intake form",
        "Stores a completed intake form as a FHIR QuestionnaireResponse linked to the patient. Demographic changes the answers "
            + "imply (phone, email, address) are listed as proposed_demographic_changes for a person to review; they are "
            + "never applied to the patient record by this tool." + FLOW,
        "QuestionnaireResponse", object(in, List.of("patient_id", "answers")), output(),
        new ToolHints(false, false, false, false), scopes("QuestionnaireResponse", 'c'), 'c', new IntakeFormAction());
  }

  /** Input schema of {@link #PRIOR_AUTH_STATUS}. */
  public static Map<String, Object> statusInputSchema() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("patient_id", patientId());
    in.put("claim_id", string("FHIR id of the prior authorization Claim (from submit_prior_authorization)", ID, 64));
    return object(in, List.of("patient_id", "claim_id"));
  }

  // --- schema helpers -------------------------------------------------------------------------

  static List<String> scopes(String type, char permission) {
    return List.of("user/" + type + "." + permission, "patient/" + type + "." + permission);
  }

  static Map<String, Object> object(Map<String, Object> properties, List<String> required) {
    return io.custos.tools.Schemas.object(properties, required);
  }

  /** A non-empty string (write payloads never carry empty text). */
  static Map<String, Object> string(String description, String pattern, int maxLength) {
    Map<String, Object> s = new LinkedHashMap<>(io.custos.tools.Schemas.string(description, pattern, maxLength));
    s.put("minLength", 1);
    return s;
  }

  static Map<String, Object> enumOf(String description, List<String> values) {
    return Map.of("type", "string", "description", description, "enum", values);
  }

  static Map<String, Object> date(String description) {
    return string(description + " (YYYY-MM-DD)", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", 10);
  }

  static Map<String, Object> patientId() {
    return string("FHIR logical id of the Patient", ID, 64);
  }

  static Map<String, Object> proposalId() {
    return string("Commit: the proposal_id of an approved proposal (send the same arguments as the proposal)", PROPOSAL_ID, 24);
  }

  /** Output schema shared by the write tools. */
  static Map<String, Object> output() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("status", enumOf("pending_approval, committed or rejected", List.of("pending_approval", "committed", "rejected")));
    props.put("proposal_id", text("Id of the proposal; send it back with the same arguments to commit"));
    props.put("tool", text("The write tool the proposal belongs to"));
    props.put("patient_id", text("FHIR logical id of the Patient written to"));
    props.put("payload_sha256", text("SHA-256 (hex) of the exact payload a person approves"));
    props.put("expires_at", text("When the proposal expires (ISO 8601 instant)"));
    props.put("preview", text("Human-readable preview of the write"));
    props.put("approval", Map.of("type", "object", "description", "How a person approves a pending proposal",
        "properties", Map.of("channel", text("Approval channel, e.g. approval_endpoint"),
            "url", text("Approval page the user opens from their own signed-in application"),
            "instructions", text("What to ask the user to do"))));
    props.put("message", text("Outcome in words"));
    props.put("written", Map.of("type", "object", "description", "The FHIR resource written on commit",
        "properties", Map.of("resource_type", text("FHIR resource type"), "id", text("FHIR logical id"),
            "version", text("Version id"), "created", Map.of("type", "boolean", "description", "Whether it was created"))));
    props.put("details", Map.of("type", "object", "description", "Tool-specific details of the proposal (e.g. the slot to book)",
        "additionalProperties", true));
    return Map.of("type", "object", "properties", props, "required", List.of("status", "proposal_id", "payload_sha256"));
  }

  private static Map<String, Object> text(String description) {
    return Map.of("type", "string", "description", description);
  }
}
