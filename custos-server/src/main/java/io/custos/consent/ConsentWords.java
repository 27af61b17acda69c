package io.custos.consent;

import io.custos.phi.SensitiveCategories;
import io.custos.phi.UntrustedText;

import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Period;

/**
 * A Consent in plain words for a clinician: one sentence per provision, nested exceptions introduced by "except" (an
 * exception to an exception by "except (within the exception above)"). The
 * sentences are built from codes and references only (never from free text in the resource), so nothing the record's
 * author typed reaches the model outside the tool's fenced fields.
 */
public final class ConsentWords {
  private ConsentWords() {}

  /** Words for the DS4P security labels (v3-Confidentiality, v3-ActCode sensitivity) Custos knows. */
  private static final Map<String, String> LABELS = Map.ofEntries(Map.entry("R", "restricted"),
      Map.entry("V", "very restricted"), Map.entry("N", "normal"), Map.entry("PSY", "mental health"),
      Map.entry("ETH", "substance use"), Map.entry("HIV", "HIV/AIDS"), Map.entry("SDV", "sexual and domestic violence"),
      Map.entry("SEX", "sexuality and reproductive health"), Map.entry("STD", "sexually transmitted disease"));

  /** The scope in words: {@code patient privacy}, {@code research}, or the code. */
  public static String scope(Consent c) {
    String s = UntrustedText.label(ConsentEvaluator.scope(c));
    return s == null || s.isEmpty() ? "unspecified" : s.replace('-', ' ');
  }

  /** One sentence per provision, in document order; an inactive or out-of-period Consent says so first. */
  public static List<String> rules(Consent c) {
    List<String> out = new ArrayList<>();
    if (c.getStatus() != Consent.ConsentState.ACTIVE) {
      out.add("Not in force: status " + (c.hasStatus() ? c.getStatus().toCode() : "unknown") + ".");
    }
    if (c.hasProvision()) {
      sentences(c.getProvision(), ConsentEvaluator.baseEffect(c), 0, out);
    }
    return out;
  }

  private static void sentences(Consent.ProvisionComponent p, ConsentEvaluator.Outcome effect, int depth, List<String> out) {
    String lead = depth == 0 ? "" : depth == 1 ? "except: " : "except (within the exception above): ";
    StringBuilder s = new StringBuilder(lead).append(effect == ConsentEvaluator.Outcome.DENY ? "deny" : "permit");
    if (p.hasAction()) {
      s.append(' ').append(p.getAction().stream().flatMap(a -> a.getCoding().stream()).map(Coding::getCode).collect(Collectors.joining("/")));
    } else {
      s.append(" access");
    }
    if (p.hasClass_()) {
      s.append(" to ").append(p.getClass_().stream().map(Coding::getCode).collect(Collectors.joining(", "))).append(" records");
    } else {
      s.append(" to all records");
    }
    if (p.hasSecurityLabel()) {
      s.append(" labelled ").append(p.getSecurityLabel().stream().map(ConsentWords::label)
          .collect(Collectors.joining(" or ")));
    }
    if (p.hasCode()) {
      s.append(" coded ").append(p.getCode().stream().flatMap(cc -> cc.getCoding().stream()).map(ConsentWords::code)
          .collect(Collectors.joining(", ")));
    }
    if (p.hasDataPeriod()) {
      s.append(" dated ").append(period(p.getDataPeriod()));
    }
    if (p.hasActor()) {
      s.append(" for ").append(p.getActor().stream().map(ConsentWords::actor).collect(Collectors.joining(" or ")));
    }
    if (p.hasPurpose()) {
      s.append(" when the purpose is ").append(p.getPurpose().stream().map(ConsentWords::purpose).collect(Collectors.joining(" or ")));
    }
    if (p.hasPeriod()) {
      s.append(", in force ").append(period(p.getPeriod()));
    }
    String sentence = UntrustedText.label(s.append('.').toString());
    out.add(Character.toUpperCase(sentence.charAt(0)) + sentence.substring(1));
    for (Consent.ProvisionComponent child : p.getProvision()) {
      sentences(child, ConsentEvaluator.childEffect(child, effect), depth + 1, out);
    }
  }

  /**
   * The built-in sensitive-data value sets and labels: a code or label that puts records in a sensitive category is not
   * named (a Consent that excludes "SNOMED CT 86406008" all but states the diagnosis), whoever reads the sentence.
   */
  private static final SensitiveCategories SENSITIVE = new SensitiveCategories(ca.uhn.fhir.context.FhirContext.forR4Cached());
  private static final String SENSITIVE_CODE = "a code in a sensitive category";

  private static String label(Coding c) {
    if (!"R".equals(c.getCode()) && !"V".equals(c.getCode()) && !"N".equals(c.getCode())
        && !SENSITIVE.classify(labelled(c)).isEmpty()) {
      return "a sensitive category";
    }
    return LABELS.getOrDefault(c.getCode(), c.getCode());
  }

  private static org.hl7.fhir.r4.model.Basic labelled(Coding c) {
    org.hl7.fhir.r4.model.Basic b = new org.hl7.fhir.r4.model.Basic();
    b.getMeta().addSecurity(c.copy());
    return b;
  }

  private static String code(Coding c) {
    if (!SENSITIVE.categoriesOf(c.getSystem(), c.getCode()).isEmpty()) {
      return SENSITIVE_CODE;
    }
    String system = c.getSystem() == null ? "" : c.getSystem().contains("snomed") ? "SNOMED CT " : c.getSystem().contains("loinc")
        ? "LOINC " : c.getSystem().contains("rxnorm") ? "RxNorm " : c.getSystem().contains("icd-10") ? "ICD-10-CM " : "";
    return system + c.getCode();
  }

  private static String actor(Consent.provisionActorComponent a) {
    String ref = a.getReference().getReferenceElement().toUnqualifiedVersionless().getValue();
    if (ref != null) {
      String type = a.getReference().getReferenceElement().getResourceType();
      return switch (type == null ? "" : type) {
        case "CareTeam" -> "members of care team " + ref;
        case "Organization" -> "organization " + ref;
        case "Practitioner" -> "practitioner " + ref;
        default -> ref;
      };
    }
    return "role " + a.getRole().getCoding().stream().map(Coding::getCode).collect(Collectors.joining("/"));
  }

  private static String purpose(Coding c) {
    try {
      return PurposeOfUse.valueOf(c.getCode()).words();
    } catch (IllegalArgumentException | NullPointerException e) {
      return String.valueOf(c.getCode());
    }
  }

  private static String period(Period p) {
    return (p.hasStart() ? "from " + day(p.getStart()) : "") + (p.hasStart() && p.hasEnd() ? " " : "")
        + (p.hasEnd() ? "until " + day(p.getEnd()) : "");
  }

  private static String day(Date d) {
    SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd");
    f.setTimeZone(TimeZone.getTimeZone("UTC"));
    return f.format(d);
  }
}
