package io.custos.e2e;

import io.custos.fhir.store.InMemoryRepository;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;

/**
 * Two patients outside the Synthea fixture, for the clients' consent checks: one whose active Consent restricts
 * disclosure to an organisation no test caller belongs to, one with an active research opt-out. Each has an active
 * Condition.
 */
final class ConsentPatients {
  static final String RESTRICTED = "custos-e2e-consent-restricted";
  static final String OPTED_OUT = "custos-e2e-research-opted-out";

  private ConsentPatients() {}

  static void plant(InMemoryRepository repo) {
    for (String pid : new String[] {RESTRICTED, OPTED_OUT}) {
      Patient p = new Patient();
      p.setId(pid);
      p.addName().setFamily("Consent").addGiven(pid.equals(RESTRICTED) ? "Restricted" : "Optedout");
      repo.put(p);
      Condition c = new Condition();
      c.setId(pid + "-condition");
      c.setSubject(new Reference("Patient/" + pid));
      c.setClinicalStatus(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", null)));
      c.setCode(new CodeableConcept(new Coding("http://snomed.info/sct", "38341003", "Hypertension")));
      repo.put(c);
    }
    Consent restricted = consent(RESTRICTED, "patient-privacy");
    restricted.getProvision().setType(Consent.ConsentProvisionType.DENY).addProvision().addActor()
        .setReference(new Reference("Organization/custos-e2e-elsewhere"));
    repo.put(restricted);
    Consent optOut = consent(OPTED_OUT, "research");
    optOut.getProvision().setType(Consent.ConsentProvisionType.DENY)
        .addPurpose(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HRESCH", null));
    repo.put(optOut);
  }

  private static Consent consent(String pid, String scope) {
    Consent c = new Consent();
    c.setId(pid + "-consent");
    c.setStatus(Consent.ConsentState.ACTIVE);
    c.setScope(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/consentscope", scope, null)));
    c.setPatient(new Reference("Patient/" + pid));
    return c;
  }
}
