package io.custos.audit.ledger;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.ValidationResult;
import io.custos.audit.AuditEvent;
import io.custos.audit.PatientPseudonyms;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.checkpoint.CheckpointKey;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

/** FHIR AuditEvent export (IHE BALP) validated with HAPI's validator; accounting of disclosures with audited re-identification. */
class ComplianceOutputsTest {
  @TempDir Path tmp;

  private static AuditEvent result(String tool, String resourceType, List<String> patients, String outcome, Instant at) {
    return new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), at, AuditEvent.Phase.RESULT,
        "dr-alice", "Practitioner/p1", "agent-client", "session-1", "tokhash", Set.of("clinician"), tool, resourceType,
        patients, "patient/" + resourceType + ".rs", outcome, 2, "cd".repeat(32), 900, "10.0.0.7", "0.1.0");
  }

  @Test
  void fhirExportIsValidR4AuditEventsOnePerPatient() throws Exception {
    FhirContext ctx = FhirContext.forR4Cached();
    FhirValidator validator = ctx.newValidator();
    validator.registerValidatorModule(new FhirInstanceValidator(new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx), new InMemoryTerminologyServerValidationSupport(ctx),
        new CommonCodeSystemsTerminologyService(ctx))));
    List<StoredEvent> events = List.of(
        new StoredEvent(0, result("get_patient_demographics", "Patient", List.of("pt_aaaa"), "success", Instant.now())),
        new StoredEvent(1, result("get_lab_results", "Observation", List.of("pt_aaaa", "pt_bbbb"), "success", Instant.now())),
        new StoredEvent(2, new AuditEvent("e3", "c3", Instant.now(), AuditEvent.Phase.DENIED, "anonymous", null, null, null,
            null, Set.of(), "get_medications", null, List.of(), null, "not_authorized", 0, null, 5, "stdio", "0.1.0")));
    List<org.hl7.fhir.r4.model.AuditEvent> out = new ArrayList<>();
    events.forEach(e -> out.addAll(FhirAuditEventMapper.map(e)));
    assertThat(out).hasSize(4);
    assertThat(out.get(0).getSubtypeFirstRep().getCode()).isEqualTo("read");
    assertThat(out.get(1).getSubtypeFirstRep().getCode()).isEqualTo("search-type");
    assertThat(out.get(1).getEntityFirstRep().getWhat().getIdentifier().getValue()).isEqualTo("pt_aaaa");
    assertThat(out.get(2).getEntityFirstRep().getWhat().getIdentifier().getValue()).isEqualTo("pt_bbbb");
    assertThat(out.get(3).getOutcome().toCode()).isEqualTo("4");
    for (var ae : out) {
      String json = ctx.newJsonParser().encodeResourceToString(ae);
      ValidationResult r = validator.validateWithResult(json);
      List<String> errors = r.getMessages().stream()
          .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
          .map(m -> m.getLocationString() + ": " + m.getMessage()).toList();
      assertThat(errors).as(json).isEmpty();
      assertThat(json).doesNotContain("Patient/");
    }
  }

  @Test
  void accountingOfDisclosuresReidentifiesThroughTheTokenMapAndAuditsIt() throws Exception {
    Path dir = tmp.resolve("ledger");
    LocalKeySource keys = LocalKeySource.openOrCreate(tmp.resolve("keys"));
    PatientPseudonyms pseudonyms = new PatientPseudonyms(new byte[32]);
    String mine = pseudonyms.tokenize("pat-42");
    String other = pseudonyms.tokenize("pat-43");
    try (TokenMap map = TokenMap.open(dir.resolve(TokenMap.FILE), keys.tokenMapAead())) {
      map.remember(mine, "pat-42");
      map.remember(other, "pat-43");
    }
    Instant jan = Instant.parse("2026-01-15T10:00:00Z");
    try (MerkleLedger ledger = MerkleLedger.open(dir, keys)) {
      ledger.append(result("get_medications", "MedicationRequest", List.of(mine), "success", jan));
      ledger.append(result("get_allergies", "AllergyIntolerance", List.of(other), "success", jan));
      ledger.append(result("get_vital_signs", "Observation", List.of(mine), "upstream_failed", jan));
      ledger.append(result("get_lab_results", "Observation", List.of(mine), "success", Instant.parse("2025-06-01T00:00:00Z")));
    }
    DisclosureReport r = DisclosureReporter.report(dir, keys, "pat-42", Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2026-02-01T00:00:00Z"), "privacy-officer");
    assertThat(r.disclosures()).singleElement().satisfies(d -> {
      assertThat(d.recipient()).isEqualTo("dr-alice");
      assertThat(d.description()).contains("get_medications").contains("MedicationRequest");
      assertThat(d.ledgerIndex()).isZero();
    });
    String html = DisclosureReporter.html(r);
    assertThat(html).contains("pat-42").contains("dr-alice").contains("164.528");
    // the re-identification itself is now the last ledger event, PHI-free (pseudonym only)
    List<AuditEvent> all = new ArrayList<>();
    LedgerEvents.forEach(dir, keys.ledgerAead(), s -> all.add(s.event()));
    AuditEvent last = all.get(all.size() - 1);
    assertThat(last.tool()).isEqualTo(DisclosureReporter.REIDENTIFY_TOOL);
    assertThat(last.subject()).isEqualTo("privacy-officer");
    assertThat(last.patientRefs()).containsExactly(mine);
    assertThat(LedgerVerifier.verify(dir, CheckpointKey.anyOrigin(keys.checkpointPublicKey()), java.util.Optional.empty()).ok()).isTrue();
  }
}
