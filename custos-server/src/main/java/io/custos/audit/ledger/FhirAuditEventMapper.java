package io.custos.audit.ledger;

import io.custos.audit.AuditEvent;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAgentNetworkType;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventEntityComponent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * Maps a ledger event to FHIR R4 AuditEvent resources following IHE Basic Audit Log Patterns (BALP):
 * type {@code rest} with subtype {@code read} (action R) for single-resource reads, {@code search-type}
 * (action E) for queries; agents for the user (requestor, with the token-id hash as {@code policy}), the
 * client application and the Custos server; one AuditEvent per patient (BALP "Patient" variants) with a
 * patient entity that carries only the pseudonymous reference (an identifier, never a resolvable id).
 * HIPAA 45 CFR 164.312(b).
 */
public final class FhirAuditEventMapper {
  /** Identifier system of patient pseudonyms (keyed HMAC tokens). */
  public static final String PSEUDONYM_SYSTEM = "urn:custos:patient-pseudonym";
  public static final String USER_SYSTEM = "urn:custos:user";
  public static final String CLIENT_SYSTEM = "urn:custos:client";
  private static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
  private static final Set<String> READ_TOOLS = Set.of("get_patient_demographics", "get_encounter");

  private FhirAuditEventMapper() {}

  /** @return one AuditEvent per patient reference (one without a patient entity when there is none) */
  public static List<org.hl7.fhir.r4.model.AuditEvent> map(StoredEvent stored) {
    AuditEvent e = stored.event();
    List<org.hl7.fhir.r4.model.AuditEvent> out = new ArrayList<>();
    List<String> patients = e.patientRefs().isEmpty() ? java.util.Collections.singletonList(null) : e.patientRefs();
    for (int i = 0; i < patients.size(); i++) {
      out.add(one(stored, patients.get(i), patients.size() == 1 ? e.eventId() : e.eventId() + "-" + (i + 1)));
    }
    return out;
  }

  private static org.hl7.fhir.r4.model.AuditEvent one(StoredEvent stored, String patient, String id) {
    AuditEvent e = stored.event();
    boolean read = READ_TOOLS.contains(e.tool());
    // Steps of the human-approved write flow (outcomes write_*) succeeded; a commit is a create (action C).
    boolean writeStep = e.outcome() != null && e.outcome().startsWith("write_");
    boolean create = "write_commit_intent".equals(e.outcome()) || "write_committed".equals(e.outcome());
    var ae = new org.hl7.fhir.r4.model.AuditEvent();
    ae.setId(id);
    boolean alert = e.phase() == AuditEvent.Phase.ALERT;
    // A misuse-detection alert is a DICOM "Security Alert" (110113) of the server itself, not a REST interaction.
    ae.setType(alert ? new Coding(DCM, "110113", "Security Alert")
        : new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "Restful Operation"));
    ae.addSubtype(alert ? new Coding(DCM, "110113", "Security Alert") : create ? new Coding("http://hl7.org/fhir/restful-interaction", "create", "create")
        : read ? new Coding("http://hl7.org/fhir/restful-interaction", "read", "read")
        : new Coding("http://hl7.org/fhir/restful-interaction", "search-type", "search type"));
    ae.setAction(create ? AuditEventAction.C : read ? AuditEventAction.R : AuditEventAction.E);
    ae.setRecorded(Date.from(e.timestamp()));
    boolean success = "success".equals(e.outcome()) || writeStep || alert;
    ae.setOutcome(success ? AuditEventOutcome._0 : e.phase() == AuditEvent.Phase.DENIED ? AuditEventOutcome._4 : AuditEventOutcome._8);
    if (!success || writeStep) {
      ae.setOutcomeDesc(e.outcome());
    }

    AuditEventAgentComponent user = ae.addAgent();
    user.setType(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP",
        "information recipient")));
    user.setWho(new Reference().setIdentifier(new Identifier().setSystem(USER_SYSTEM).setValue(e.subject())));
    if (e.fhirUser() != null) {
      user.setAltId(e.fhirUser());
    }
    user.setRequestor(true);
    for (String role : e.roles()) {
      user.addRole(new CodeableConcept().setText(role));
    }
    if (e.tokenIdHash() != null) {
      user.addPolicy(e.tokenIdHash());
    }
    if (e.sourceAddress() != null && !"stdio".equals(e.sourceAddress())) {
      user.getNetwork().setAddress(e.sourceAddress()).setType(AuditEventAgentNetworkType._2);
    }
    if (e.clientId() != null) {
      AuditEventAgentComponent client = ae.addAgent();
      client.setType(new CodeableConcept(new Coding(DCM, "110153", "Source Role ID")));
      client.setWho(new Reference().setIdentifier(new Identifier().setSystem(CLIENT_SYSTEM).setValue(e.clientId())));
      client.setRequestor(false);
    }
    AuditEventAgentComponent server = ae.addAgent();
    server.setType(new CodeableConcept(new Coding(DCM, "110152", "Destination Role ID")));
    server.setWho(new Reference().setDisplay("Custos MCP server"));
    server.setRequestor(false);

    ae.getSource().setSite("custos").setObserver(new Reference().setDisplay("Custos " + e.serverVersion()))
        .addType(new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server"));

    if (patient != null) {
      AuditEventEntityComponent pe = ae.addEntity();
      pe.setWhat(new Reference().setType("Patient").setIdentifier(new Identifier().setSystem(PSEUDONYM_SYSTEM).setValue(patient)));
      pe.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"));
      pe.setRole(new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"));
    }
    AuditEventEntityComponent data = ae.addEntity();
    data.setType(new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"));
    data.setRole(read ? new Coding("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource")
        : new Coding("http://terminology.hl7.org/CodeSystem/object-role", "24", "Query"));
    if (e.resourceType() != null) {
      data.setWhat(new Reference().setType(e.resourceType()).setDisplay(e.resourceType()));
    }
    data.setDescription("MCP tool " + e.tool());
    detail(data, "phase", e.phase().name());
    detail(data, "callId", e.callId());
    detail(data, "ledgerIndex", Long.toString(stored.leafIndex()));
    detail(data, "recordCount", Integer.toString(e.recordCount()));
    if (e.resultSha256() != null) {
      detail(data, "resultSha256", e.resultSha256());
    }
    if (e.scope() != null) {
      detail(data, "scope", e.scope());
    }
    if (e.sessionId() != null) {
      detail(data, "mcpSession", e.sessionId());
    }
    for (String consent : e.consent()) {
      detail(data, "consent", consent); // the patient's Consent provision that decided (hashed id, provision path)
    }
    return ae;
  }

  private static void detail(AuditEventEntityComponent entity, String type, String value) {
    entity.addDetail().setType(type).setValue(new org.hl7.fhir.r4.model.StringType(value));
  }
}
