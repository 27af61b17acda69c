package io.custos.tools;

import io.custos.phi.UntrustedText;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.DocumentReference;

/** Extracts the plain-text body of a clinical note (DocumentReference attachment), fenced as untrusted. */
final class ClinicalText {
  /** Upper bound on note characters returned per note. */
  static final int MAX_CHARS = 8_000;

  private ClinicalText() {}

  /** Fenced text of the first text/* inline attachment, or null when the note has none. */
  static String of(DocumentReference d) {
    for (var content : d.getContent()) {
      Attachment a = content.getAttachment();
      boolean text = !a.hasContentType() || a.getContentType().toLowerCase(java.util.Locale.ROOT).startsWith("text/");
      if (a.hasData() && text) {
        return UntrustedText.fence(new String(a.getData(), StandardCharsets.UTF_8), MAX_CHARS);
      }
    }
    return null;
  }
}
