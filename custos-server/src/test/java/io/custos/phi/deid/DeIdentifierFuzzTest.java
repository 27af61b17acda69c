package io.custos.phi.deid;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.DateType;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Narrative;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * Fuzzing the de-identification engine (Jazzer): FHIR R4 resources parsed from fuzzed JSON (seeds in the
 * regression corpus are real resources: Patient, Observation, DocumentReference, Condition, Bundle) run through
 * Safe Harbor and date-shift de-identification, after synthetic identifiers of the kinds 45 CFR
 * 164.514(b)(2)(i) lists are planted into them: into a Patient's name, telecom, identifiers, address and birth
 * date; as free text into every string and markdown element, a kept and an unknown extension, the narrative
 * and text attachments. Property: none of the planted values survives anywhere in the result (JSON and decoded
 * attachments), and the result still encodes as FHIR JSON.
 *
 * <p>Names, cities and street lines are recognised in free text only when the patient's context lists them
 * (no NER), so they are planted as the patient's own; every other kind is also planted as a value no context
 * knows, which pattern scrubbing alone must remove. The values are drawn from a generator seeded with the
 * input, so a failing input reproduces.
 */
class DeIdentifierFuzzTest {
  static final FhirContext FHIR = FhirContext.forR4Cached();
  static final byte[] KEY = "custos-fuzz-deid-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
  static final DeIdentifier SAFE_HARBOR = new DeIdentifier(FHIR, DeidConfig.safeHarbor(KEY, LocalDate.of(2026, 1, 1)));
  static final DeIdentifier DATE_SHIFT = new DeIdentifier(FHIR, DeidConfig.dateShift(KEY, LocalDate.of(2026, 1, 1)));
  /** At most this many fuzzed text elements get the planted text (keeps a huge input fast). */
  static final int MAX_TEXT_ELEMENTS = 32;

  @FuzzTest(maxDuration = "5m")
  void deidentify(FuzzedDataProvider data) {
    boolean shift = data.consumeBoolean();
    String json = data.consumeRemainingAsString();
    Resource r;
    try {
      r = (Resource) FHIR.newJsonParser().parseResource(json);
    } catch (RuntimeException notFhir) {
      // HAPI's parser is not under test: besides DataFormatException it throws e.g. StringIndexOutOfBoundsException
      // on an empty property name.
      return;
    }
    Planted planted = new Planted(new SplittableRandom(json.hashCode()));
    DeidContext context = plant(r, planted);
    Resource out = (shift ? DATE_SHIFT : SAFE_HARBOR).deidentify(r, context);
    String disclosed = Survivors.disclosed(FHIR, out);
    for (String value : planted.values()) {
      if (Survivors.find(json, value).isEmpty()) { // a value the fuzzer wrote itself is not planted
        assertThat(Survivors.find(disclosed, value)).as("%s survived de-identification (%s)", value, shift ? "date shift" : "Safe Harbor")
            .isEmpty();
      }
    }
  }

  /** Plants the identifiers into {@code r}; returns the context of the patient they belong to. */
  private static DeidContext plant(Resource r, Planted planted) {
    String text = planted.freeText();
    List<StringType> strings = new ArrayList<>();
    for (StringType s : FHIR.newTerser().getAllPopulatedChildElementsOfType(r, StringType.class)) {
      if ((s.fhirType().equals("string") || s.fhirType().equals("markdown")) && strings.size() < MAX_TEXT_ELEMENTS) {
        strings.add(s);
      }
    }
    strings.forEach(s -> s.setValue(s.getValue() + " " + text));
    for (Attachment a : FHIR.newTerser().getAllPopulatedChildElementsOfType(r, Attachment.class)) {
      if (a.hasContentType() && a.getContentType().toLowerCase(Locale.ROOT).startsWith("text/")) {
        byte[] old = a.hasData() ? a.getData() : new byte[0];
        a.setData((new String(old, StandardCharsets.UTF_8) + " " + text).getBytes(StandardCharsets.UTF_8));
      }
    }
    if (r instanceof DomainResource d) {
      d.getText().setStatus(Narrative.NarrativeStatus.GENERATED).setDivAsString(
          "<div xmlns=\"http://www.w3.org/1999/xhtml\">" + text.replace("&", "&amp;").replace("<", "&lt;") + "</div>");
      Extension race = new Extension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race");
      race.addExtension(new Extension("text", new StringType(text)));
      d.addExtension(race);
      d.addExtension(new Extension("http://example.org/fuzz/unknown", new StringType(text)));
    }
    if (r instanceof Patient p) {
      planted.addTo(p);
      return DeidContext.of(p);
    }
    Patient owner = new Patient();
    owner.setId("fuzz-owner");
    planted.addTo(owner);
    return DeidContext.of(owner);
  }

  /** Synthetic identifiers: the patient's own (in the context) and pattern-shaped ones no context knows. */
  static final class Planted {
    private static final String[] KNOWN_SYLLABLES = {"zor", "quil", "bex", "vun", "thra", "mip", "dax", "yel"};
    private static final String[] OTHER_SYLLABLES = {"kor", "fen", "lux", "wab", "osk", "rim", "tav", "ulm"};
    private static final String[] STREETS = {"Street", "Avenue", "Road", "Lane", "Drive", "Court", "Way", "Boulevard"};
    private static final DateTimeFormatter US = DateTimeFormatter.ofPattern("MM/dd/yyyy", Locale.US);
    private static final DateTimeFormatter LONG = DateTimeFormatter.ofPattern("MMMM d, yyyy", Locale.US);

    private final SplittableRandom rnd;
    final String given;
    final String family;
    final String city;
    final String line;
    final String zip;
    final String ssn;
    final String phone;
    final String email;
    final String mrn;
    final LocalDate birthDate;
    private final List<String> unknown = new ArrayList<>();
    private final String freeText;

    Planted(SplittableRandom rnd) {
      this.rnd = rnd;
      given = name(KNOWN_SYLLABLES);
      family = name(KNOWN_SYLLABLES);
      city = name(KNOWN_SYLLABLES);
      line = address(KNOWN_SYLLABLES);
      zip = digits(5);
      ssn = ssn();
      phone = phone();
      email = given.toLowerCase(Locale.ROOT) + "." + family.toLowerCase(Locale.ROOT) + "@example.org";
      mrn = "MRN-" + digits(8);
      birthDate = date();
      LocalDate seen = date();
      String ssn2 = ssn();
      String phone2 = phone();
      String email2 = name(OTHER_SYLLABLES).toLowerCase(Locale.ROOT) + "@" + name(OTHER_SYLLABLES).toLowerCase(Locale.ROOT) + ".example.net";
      String url = "https://portal.example.net/chart/" + digits(8);
      String ip = (1 + rnd.nextInt(254)) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254));
      String address2 = address(OTHER_SYLLABLES);
      String zip2 = digits(5);
      String licence = (char) ('A' + rnd.nextInt(26)) + digits(8);
      String account = "9" + digits(11);
      String vin = vin();
      String age = (90 + rnd.nextInt(30)) + " years";
      unknown.addAll(List.of(ssn2, phone2, email2, url, ip, address2, zip2, licence, account, vin, age, seen.toString(),
          seen.format(US), seen.format(LONG)));
      freeText = String.join(" ", given, family, "(SSN " + ssn + ", " + mrn + ") lives at " + line + ",", city + ", MA", zip
          + "; call", phone, "or write to", email + "; born", birthDate + " (" + birthDate.format(US) + ",",
          birthDate.format(LONG) + "). Also on file: SSN", ssn2 + ", phone", phone2 + ", e-mail", email2 + ", portal", url,
          "from", ip, "on", seen + " (" + seen.format(US) + ", " + seen.format(LONG) + "); neighbour at", address2 + ",", zip2
          + "; licence", licence + ", account", account + ", car VIN", vin + "; grandmother aged", age, "old.");
    }

    /** Every planted value. */
    List<String> values() {
      List<String> all = new ArrayList<>(List.of(given, family, city, line, zip, ssn, phone, email, mrn, birthDate.toString(),
          birthDate.format(US), birthDate.format(LONG)));
      all.addAll(unknown);
      return all;
    }

    String freeText() {
      return freeText;
    }

    /** Adds the patient's own identifiers to {@code p}. */
    void addTo(Patient p) {
      p.addName(new HumanName().setFamily(family).addGiven(given));
      p.addTelecom(new ContactPoint().setSystem(ContactPoint.ContactPointSystem.PHONE).setValue(phone));
      p.addTelecom(new ContactPoint().setSystem(ContactPoint.ContactPointSystem.EMAIL).setValue(email));
      p.addIdentifier(new Identifier().setSystem("http://hospital.example/mrn").setValue(mrn));
      p.addIdentifier(new Identifier().setSystem("http://hl7.org/fhir/sid/us-ssn").setValue(ssn));
      p.addAddress(new Address().addLine(line).setCity(city).setState("MA").setPostalCode(zip));
      p.setBirthDateElement(new DateType(birthDate.toString()));
    }

    private String name(String[] syllables) {
      StringBuilder sb = new StringBuilder();
      for (int i = 2 + rnd.nextInt(2); i > 0; i--) {
        sb.append(syllables[rnd.nextInt(syllables.length)]);
      }
      return Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
    }

    private String address(String[] syllables) {
      return (1 + rnd.nextInt(9999)) + " " + name(syllables) + " " + STREETS[rnd.nextInt(STREETS.length)];
    }

    private String digits(int n) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++) {
        sb.append(rnd.nextInt(10));
      }
      return sb.toString();
    }

    private String ssn() {
      return String.format(Locale.ROOT, "%03d-%02d-%04d", 1 + rnd.nextInt(899), 1 + rnd.nextInt(99), 1 + rnd.nextInt(9999));
    }

    private String phone() {
      int area = 201 + rnd.nextInt(789);
      int exchange = 200 + rnd.nextInt(800);
      int number = rnd.nextInt(10_000);
      String format = List.of("(%d) %d-%04d", "%d-%d-%04d", "%d.%d.%04d", "+1 %d %d %04d").get(rnd.nextInt(4));
      return String.format(Locale.ROOT, format, area, exchange, number);
    }

    private LocalDate date() {
      return LocalDate.of(1925, 1, 1).plusDays(rnd.nextInt(31_000));
    }

    private String vin() {
      String alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 17; i++) {
        sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      return sb.toString();
    }
  }
}
