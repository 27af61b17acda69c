package io.custos.phi.deid;

import static io.custos.phi.deid.DeidMethod.CRYPTO_HASH;
import static io.custos.phi.deid.DeidMethod.DATE_SHIFT;
import static io.custos.phi.deid.DeidMethod.GENERALIZE;
import static io.custos.phi.deid.DeidMethod.KEEP;
import static io.custos.phi.deid.DeidMethod.REDACT;
import static io.custos.phi.deid.DeidMethod.SCRUB_TEXT;
import static io.custos.phi.deid.SafeHarborKind.A;
import static io.custos.phi.deid.SafeHarborKind.B;
import static io.custos.phi.deid.SafeHarborKind.C;
import static io.custos.phi.deid.SafeHarborKind.D;
import static io.custos.phi.deid.SafeHarborKind.E;
import static io.custos.phi.deid.SafeHarborKind.F;
import static io.custos.phi.deid.SafeHarborKind.G;
import static io.custos.phi.deid.SafeHarborKind.H;
import static io.custos.phi.deid.SafeHarborKind.I;
import static io.custos.phi.deid.SafeHarborKind.J;
import static io.custos.phi.deid.SafeHarborKind.K;
import static io.custos.phi.deid.SafeHarborKind.L;
import static io.custos.phi.deid.SafeHarborKind.M;
import static io.custos.phi.deid.SafeHarborKind.N;
import static io.custos.phi.deid.SafeHarborKind.O;
import static io.custos.phi.deid.SafeHarborKind.P;
import static io.custos.phi.deid.SafeHarborKind.Q;
import static io.custos.phi.deid.SafeHarborKind.R;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The active de-identification configuration: per-element methods (in the style of Microsoft's FHIR Tools
 * for Anonymization), the pseudonym key, the reference date for ages, and the extensions that are kept.
 *
 * @param name            a label for the coverage report
 * @param rules           path and type rules (see {@link DeidRule})
 * @param key             secret for keyed pseudonyms and per-patient date shifts (at least 16 bytes; never logged)
 * @param referenceDate   "today" for the ages-over-89 rule
 * @param maxShiftDays    bound of the per-patient date shift (+/-), used by {@link DeidMethod#DATE_SHIFT}
 * @param keptExtensions  extension URLs kept (their contents are still de-identified); every other extension is removed
 */
public record DeidConfig(String name, List<DeidRule> rules, byte[] key, LocalDate referenceDate, int maxShiftDays,
    Set<String> keptExtensions) {

  public DeidConfig {
    rules = List.copyOf(rules);
    keptExtensions = Set.copyOf(keptExtensions);
    if (key == null || key.length < 16) {
      throw new IllegalArgumentException("de-identification key must be at least 16 bytes");
    }
    key = key.clone();
  }

  /** Safe Harbor (45 CFR 164.514(b)(2)): dates reduced to the year. */
  public static DeidConfig safeHarbor(byte[] key, LocalDate referenceDate) {
    return new DeidConfig("safe-harbor", rules(GENERALIZE), key, referenceDate, 50, US_CORE_SAFE_EXTENSIONS);
  }

  /**
   * Dates shifted per patient instead of reduced to the year (keeps intervals for research). A date shift
   * alone is not Safe Harbor for kind (C); the coverage report says so.
   */
  public static DeidConfig dateShift(byte[] key, LocalDate referenceDate) {
    return new DeidConfig("date-shift", rules(DATE_SHIFT), key, referenceDate, 50, US_CORE_SAFE_EXTENSIONS);
  }

  /** Extensions that carry no Safe Harbor identifier of their own (their contents are still processed). */
  public static final Set<String> US_CORE_SAFE_EXTENSIONS = Set.of(
      "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
      "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
      "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
      "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
      "ombCategory", "detailed", "text");

  private static List<DeidRule> rules(DeidMethod dates) {
    List<DeidRule> r = new ArrayList<>();
    // Resource-level: ids become keyed pseudonyms (linkage), metadata and narrative go.
    r.add(new DeidRule("Resource.id", CRYPTO_HASH, R));
    r.add(new DeidRule("Resource.meta", REDACT, R, N));
    r.add(new DeidRule("Resource.implicitRules", REDACT, N));
    r.add(new DeidRule("DomainResource.text", REDACT, A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, R));
    r.add(new DeidRule("DomainResource.contained", REDACT, R));
    // Names, relatives, photos.
    r.add(new DeidRule("Patient.contact", REDACT, A, B, D, E, F));
    r.add(new DeidRule("Patient.link", REDACT, R));
    r.add(new DeidRule("Patient.photo", REDACT, Q));
    r.add(new DeidRule("Practitioner.photo", REDACT, Q));
    r.add(new DeidRule("RelatedPerson.photo", REDACT, Q));
    r.add(new DeidRule("Person.photo", REDACT, Q));
    r.add(new DeidRule("Media.content", REDACT, P, Q));
    r.add(new DeidRule("Patient.birthDate", dates, C));
    // Plan, account and device numbers.
    r.add(new DeidRule("Coverage.subscriberId", CRYPTO_HASH, I));
    r.add(new DeidRule("Coverage.dependent", REDACT, I));
    r.add(new DeidRule("Device.udiCarrier", REDACT, M));
    r.add(new DeidRule("Device.serialNumber", REDACT, M));
    r.add(new DeidRule("Device.lotNumber", REDACT, M));
    r.add(new DeidRule("Device.distinctIdentifier", REDACT, M));
    r.add(new DeidRule("Device.url", REDACT, N));
    r.add(new DeidRule("Endpoint.address", REDACT, N));
    r.add(new DeidRule("Attachment.url", REDACT, N, Q));
    // Attachment data: text/* is scrubbed as free text, anything else (images, audio, PDFs) removed.
    r.add(new DeidRule("Attachment.data", SCRUB_TEXT, P, Q, A, D, F, G, N, O));
    r.add(new DeidRule("Reference.display", REDACT, A));
    r.add(new DeidRule("Reference.reference", CRYPTO_HASH, R));
    r.add(new DeidRule("Identifier.value", CRYPTO_HASH, G, H, I, J, K, L, M, R));
    r.add(new DeidRule("Identifier.assigner", REDACT, R));
    // Datatypes.
    r.add(new DeidRule("type:HumanName", REDACT, A));
    r.add(new DeidRule("type:Address", GENERALIZE, B));
    r.add(new DeidRule("type:ContactPoint", REDACT, D, E, F, N));
    r.add(new DeidRule("type:date", dates, C));
    r.add(new DeidRule("type:dateTime", dates, C));
    r.add(new DeidRule("type:instant", dates == GENERALIZE ? REDACT : DATE_SHIFT, C));
    r.add(new DeidRule("type:Age", GENERALIZE, C));
    r.add(new DeidRule("type:Signature", REDACT, P));
    r.add(new DeidRule("type:base64Binary", REDACT, P, Q));
    r.add(new DeidRule("type:url", REDACT, N));
    r.add(new DeidRule("type:Extension", KEEP, R)); // only keptExtensions survive; see DeIdentifier
    r.add(new DeidRule("type:string", SCRUB_TEXT, A, B, C, D, E, F, G, H, L, N, O, R));
    r.add(new DeidRule("type:markdown", SCRUB_TEXT, A, B, C, D, E, F, G, H, L, N, O, R));
    return r;
  }
}
