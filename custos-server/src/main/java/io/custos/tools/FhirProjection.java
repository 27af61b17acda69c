package io.custos.tools;

import io.custos.phi.UntrustedText;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Type;

/**
 * Compact JSON building blocks for tool output: codes with system and display text, quantities with
 * UCUM units, ISO 8601 dates. Null and empty values are omitted so the model sees only what exists.
 *
 * <p>Every string taken from the record passes {@link UntrustedText}: free text written by people
 * ({@link #freeText}: CodeableConcept.text, dosage text, descriptions, string values) is marked as
 * {@code {"untrusted_text": ...}}; code displays, names and other short controlled strings are {@link UntrustedText#label
 * labels}. Code systems and codes are {@link UntrustedText#token tokens} (hidden characters removed); ids, dates and
 * numbers are structured values.
 */
final class FhirProjection {
  private FhirProjection() {}

  /** An insertion-ordered map that drops null values and empty collections. */
  static final class Json extends LinkedHashMap<String, Object> {
    Json with(String key, Object value) {
      if (value != null && !(value instanceof java.util.Collection<?> c && c.isEmpty())
          && !(value instanceof Map<?, ?> m && m.isEmpty()) && !(value instanceof String s && s.isEmpty())) {
        put(key, value);
      }
      return this;
    }
  }

  /** Upper bound on the characters of one free-text element other than a note body. */
  static final int MAX_FREE_TEXT_CHARS = 2_000;

  /** Free text written by people, stripped and marked as data, or null when there is none. */
  static Map<String, Object> freeText(String raw) {
    return UntrustedText.marked(raw, MAX_FREE_TEXT_CHARS);
  }

  static Json json() {
    return new Json();
  }

  /**
   * {@code {system, code, display}} of the first coding (display as a label) plus {@code text} (marked free text) when
   * it differs from the display, or null.
   */
  static Map<String, Object> code(CodeableConcept cc) {
    if (cc == null || cc.isEmpty()) {
      return null;
    }
    Json j = json();
    if (cc.hasCoding()) {
      Coding c = cc.getCodingFirstRep();
      j.with("system", UntrustedText.token(c.getSystem())).with("code", UntrustedText.token(c.getCode()))
          .with("display", UntrustedText.label(c.getDisplay()));
    }
    if (cc.hasText() && !(cc.hasCoding() && cc.getText().equals(cc.getCodingFirstRep().getDisplay()))) {
      j.with("text", freeText(cc.getText()));
    }
    return j;
  }

  static List<Map<String, Object>> codes(List<CodeableConcept> ccs) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (CodeableConcept cc : ccs) {
      Map<String, Object> c = code(cc);
      if (c != null) {
        out.add(c);
      }
    }
    return out;
  }

  /** The code of the first coding of a status-like concept (e.g. {@code clinicalStatus}), or null. */
  static String status(CodeableConcept cc) {
    return cc == null || !cc.hasCoding() ? null : UntrustedText.token(cc.getCodingFirstRep().getCode());
  }

  static Map<String, Object> quantity(Quantity q) {
    if (q == null || !q.hasValue()) {
      return null;
    }
    return json().with("value", q.getValue()).with("unit", UntrustedText.label(q.hasUnit() ? q.getUnit() : q.getCode()));
  }

  static String date(BaseDateTimeType d) {
    return d == null || !d.hasValue() ? null : d.getValueAsString();
  }

  /** dateTime or Period start of a {@code [x]} element, as an ISO string. */
  static String dateOf(Type t) {
    if (t instanceof BaseDateTimeType d) {
      return date(d);
    }
    if (t instanceof Period p) {
      return date(p.getStartElement());
    }
    return null;
  }

  static Map<String, Object> period(Period p) {
    if (p == null || p.isEmpty()) {
      return null;
    }
    return json().with("start", date(p.getStartElement())).with("end", date(p.getEndElement()));
  }

  /** A reference's display text as a label (never its id: ids of other resources are not part of tool output). */
  static String display(Reference r) {
    return r == null || !r.hasDisplay() ? null : UntrustedText.label(r.getDisplay());
  }

  /** "Given Family" of the official (else first) name, as a label. */
  static String name(List<HumanName> names) {
    HumanName chosen = names.stream().filter(n -> n.getUse() == HumanName.NameUse.OFFICIAL).findFirst()
        .orElse(names.isEmpty() ? null : names.get(0));
    if (chosen == null) {
      return null;
    }
    return UntrustedText.label(chosen.hasText() ? chosen.getText() : chosen.getGivenAsSingleString() + " "
        + java.util.Objects.requireNonNullElse(chosen.getFamily(), ""));
  }

  /**
   * Value of an Observation-like {@code value[x]}: a quantity map, a code map, marked free text (valueString), or
   * another primitive (boolean, integer, time, dateTime) as a string.
   */
  static Object value(Type v) {
    if (v instanceof Quantity q) {
      return quantity(q);
    }
    if (v instanceof CodeableConcept cc) {
      return code(cc);
    }
    if (v instanceof StringType text) {
      return freeText(text.getValue());
    }
    if (v != null && v.isPrimitive()) {
      return v.primitiveValue();
    }
    return null;
  }
}
