package io.custos.phi.deid;

import ca.uhn.fhir.context.FhirContext;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Attachment;

/** Looks for planted identifiers in what a de-identified resource discloses. */
final class Survivors {
  private Survivors() {}

  /** The resource as FHIR JSON, followed by the decoded data of its attachments (base64 in the JSON). */
  static String disclosed(FhirContext fhir, IBaseResource r) {
    StringBuilder sb = new StringBuilder(fhir.newJsonParser().encodeResourceToString(r));
    for (Attachment a : fhir.newTerser().getAllPopulatedChildElementsOfType(r, Attachment.class)) {
      if (a.hasData()) {
        sb.append('\n').append(new String(a.getData(), StandardCharsets.UTF_8));
      }
    }
    return sb.toString();
  }

  /**
   * Where {@code value} occurs in {@code text} as a whole token (not inside a longer run of letters and digits,
   * such as a hex pseudonym), ignoring case.
   *
   * @return up to 200 characters either side of the first occurrence
   */
  static Optional<String> find(String text, String value) {
    Matcher m = Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(value) + "(?![\\p{L}\\p{N}])", Pattern.CASE_INSENSITIVE)
        .matcher(text);
    return m.find() ? Optional.of(text.substring(Math.max(0, m.start() - 200), Math.min(text.length(), m.end() + 200)))
        : Optional.empty();
  }
}
