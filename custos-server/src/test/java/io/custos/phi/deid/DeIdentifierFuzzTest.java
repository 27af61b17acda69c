package io.custos.phi.deid;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import org.hl7.fhir.r4.model.Resource;

/**
 * Fuzzing the de-identification engine (Jazzer): FHIR R4 resources parsed from fuzzed JSON (seeds in the
 * regression corpus are real resources: Patient, Observation, DocumentReference, Condition) run through Safe Harbor
 * and date-shift de-identification. Property: whatever parses as FHIR de-identifies without an exception, and the
 * result still encodes as FHIR JSON.
 */
class DeIdentifierFuzzTest {
  static final FhirContext FHIR = FhirContext.forR4Cached();
  static final byte[] KEY = "custos-fuzz-deid-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final DeIdentifier SAFE_HARBOR = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, LocalDate.of(2026, 1, 1)));
  static final DeIdentifier DATE_SHIFT = new DeIdentifier(FHIR, DeidConfig.dateShift(KEY, LocalDate.of(2026, 1, 1)));

  @FuzzTest(maxDuration = "5m")
  void deidentify(FuzzedDataProvider data) {
    boolean shift = data.consumeBoolean();
    String json = data.consumeRemainingAsString();
    Resource r;
    try {
      r = (Resource) FHIR.newJsonParser().parseResource(json);
    } catch (DataFormatException | ClassCastException | IllegalArgumentException notFhir) {
      return;
    }
    Resource out = (shift ? DATE_SHIFT : SAFE_HARBOR).deidentify(r, r instanceof org.hl7.fhir.r4.model.Patient p ? DeidContext.of(p) : DeidContext.none());
    assertThat(FHIR.newJsonParser().encodeResourceToString(out)).isNotEmpty();
  }
}
