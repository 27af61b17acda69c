package io.custos.phi;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.util.IModelVisitor2;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Dosage;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * Classifies FHIR resources into {@link SensitiveCategory sensitive categories} (data segmentation for privacy, HL7
 * DS4P), the same way for every resource type (conditions, medications, labs, encounter and appointment reasons,
 * procedures, notes). One walk over the resource applies three rules; a resource is in every category any of them
 * finds:
 * <ol>
 *   <li><b>Codes</b>: every {@link Coding} anywhere in the resource (code, category, reasonCode, type, value,
 *       medication...) is looked up by (system, code) in the {@link SensitiveValueSets value sets}.</li>
 *   <li><b>Security labels</b>: v3-ActCode sensitivity labels map to their category ({@code security-labels.json});
 *       v3-Confidentiality R or V, or a sensitivity label no category covers, mark the record restricted: it is in
 *       {@link SensitiveCategory#RESTRICTED} when no other rule puts it in a category (a category grant then decides),
 *       so R/V records are withheld from roles without the right unless a category grants them.</li>
 *   <li><b>Uncoded text</b> is matched against the term list ({@code sensitive-terms.json}): a CodeableConcept with no
 *       coding in a code system the value sets cover (its text and every coding's display), a Coding with a display
 *       but no code, the display of a reference to anything but a person, free-text elements (description, comment,
 *       patientInstruction, Annotation and Dosage text, Observation valueString) and attachment data (clinical notes).
 *       A concept coded in a covered system is classified by its code alone: the value sets, not words, decide.</li>
 * </ol>
 * Classification errs towards withholding. Thread-safe.
 */
public final class SensitiveCategories {
  /** Reference targets that name a person, whose display is a name and not clinical content. */
  private static final Set<String> PERSON_TYPES = Set.of("Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Person");
  /** Elements whose string value is free clinical text wherever they occur. */
  private static final Set<String> FREE_TEXT = Set.of("description", "comment", "patientInstruction");

  private final FhirTerser terser;
  private final SensitiveValueSets valueSets;
  private final SensitiveTerms terms;

  /** A classifier over the checked-in value sets. */
  public SensitiveCategories(FhirContext fhir) {
    this(fhir, SensitiveValueSets.builtIn());
  }

  /** A classifier over {@code valueSets} (e.g. the checked-in sets united with the organisation's VSAC expansions). */
  public SensitiveCategories(FhirContext fhir, SensitiveValueSets valueSets) {
    this.terser = fhir.newTerser();
    this.valueSets = valueSets;
    this.terms = SensitiveTerms.builtIn();
  }

  /** The categories of {@code r}; empty when it is not sensitive. */
  public Set<SensitiveCategory> classify(Resource r) {
    Walk walk = new Walk();
    // A Consent's provisions name the codes and labels it governs; they say nothing about the Consent itself, which is
    // sensitive only by its own labels.
    terser.visit(r instanceof org.hl7.fhir.r4.model.Consent ? new org.hl7.fhir.r4.model.Consent().setMeta(r.getMeta()) : r, walk);
    for (Coding label : labelsOf(r)) {
      walk.restricted |= valueSets.labels().unknownActCode(label.getSystem(), label.getCode());
    }
    if (walk.restricted && walk.found.isEmpty()) {
      walk.found.add(SensitiveCategory.RESTRICTED);
    }
    return walk.found;
  }

  /** The record's security labels: {@code meta.security}, and a DocumentReference's {@code securityLabel}. */
  private static List<Coding> labelsOf(Resource r) {
    List<Coding> labels = new java.util.ArrayList<>(r.getMeta().getSecurity());
    if (r instanceof org.hl7.fhir.r4.model.DocumentReference d) {
      d.getSecurityLabel().forEach(cc -> labels.addAll(cc.getCoding()));
    }
    return labels;
  }

  /**
   * The categories one code puts a record in (value sets only; no text rule).
   *
   * @param system code system URI, e.g. {@code http://snomed.info/sct}
   * @param code   the code
   * @return an unmodifiable set, empty when not sensitive or either argument is null
   */
  public Set<SensitiveCategory> categoriesOf(String system, String code) {
    return valueSets.categoriesOf(system, code);
  }

  /** The codes of {@code system} that put a record in any of {@code categories} (value sets only). */
  public SensitiveValueSets.Withheld withheld(String system, Set<SensitiveCategory> categories) {
    return valueSets.withheld(system, categories);
  }

  /** The categories the term list finds in uncoded {@code text}; empty for null or blank text. */
  public Set<SensitiveCategory> categoriesOfText(String text) {
    return terms.categoriesOf(text);
  }

  /** One classification: collects categories while the terser visits every populated element. */
  private final class Walk implements IModelVisitor2 {
    final Set<SensitiveCategory> found = EnumSet.noneOf(SensitiveCategory.class);
    boolean restricted;

    @Override
    public boolean acceptElement(IBase element, List<IBase> path, List<BaseRuntimeChildDefinition> childPath,
        List<BaseRuntimeElementDefinition<?>> definitionPath) {
      switch (element) {
        case Coding c -> coding(c);
        case CodeableConcept cc -> concept(cc);
        case Reference ref -> {
          if (ref.hasDisplay() && !PERSON_TYPES.contains(targetType(ref))) {
            terms.classify(ref.getDisplay(), found);
          }
        }
        case Attachment a -> {
          if (a.hasData()) {
            terms.classify(new String(a.getData(), StandardCharsets.UTF_8), found);
          }
        }
        case StringType s -> freeText(s.getValue(), path, childPath); // and MarkdownType, a StringType
        default -> { }
      }
      return true;
    }

    private void coding(Coding c) {
      Optional<SensitiveCategory> label = valueSets.labels().category(c.getSystem(), c.getCode());
      if (label.isPresent()) {
        if (label.get() == SensitiveCategory.RESTRICTED) {
          restricted = true;
        } else {
          found.add(label.get());
        }
        return;
      }
      if (c.hasCode()) {
        found.addAll(valueSets.categoriesOf(c.getSystem(), c.getCode()));
      } else {
        terms.classify(c.getDisplay(), found); // display-only concept
      }
    }

    private void concept(CodeableConcept cc) {
      for (Coding c : cc.getCoding()) {
        if (c.hasCode() && valueSets.covers(c.getSystem()) && !valueSets.categoriesOf(c.getSystem(), c.getCode()).isEmpty()) {
          return; // a listed code decides
        }
      }
      // No listed code: the value sets are a reviewed subset, so a code they do not list (another strength of a drug, a
      // child concept) is not evidence the record is not sensitive; its text and displays are read too.
      terms.classify(cc.getText(), found);
      for (Coding c : cc.getCoding()) {
        if (c.hasCode()) {
          terms.classify(c.getDisplay(), found); // a local code's display (display-only codings are seen on their own)
        }
      }
    }

    private void freeText(String value, List<IBase> path, List<BaseRuntimeChildDefinition> childPath) {
      if (value == null || path.size() < 2 || childPath.isEmpty()) {
        return;
      }
      IBase parent = path.get(path.size() - 2);
      String name = childPath.get(childPath.size() - 1).getElementName();
      boolean narrative = name.equals("text") && (parent instanceof Annotation || parent instanceof Dosage);
      if (FREE_TEXT.contains(name) || narrative
          || (name.startsWith("value") && (parent instanceof Observation || parent instanceof Observation.ObservationComponentComponent))) {
        terms.classify(value, found);
      }
    }
  }

  private static String targetType(Reference ref) {
    String type = ref.getReferenceElement().getResourceType();
    return type != null ? type : ref.hasType() ? ref.getType() : "";
  }
}
