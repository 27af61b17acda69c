package io.custos.consent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Consent;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Property;
import org.hl7.fhir.r4.model.Resource;

/**
 * Evaluates one FHIR R4 {@code Consent} against a {@link ConsentRequest}, optionally for one record.
 *
 * <p>The model (FHIR R4 &sect;9.x Consent): a Consent applies only while {@code status = active} and now lies within the
 * root {@code provision.period}; scope {@code patient-privacy} governs every purpose, scope {@code research} only
 * {@link PurposeOfUse#HRESCH}; other scopes (treatment, adr) are not privacy directives and never apply. The root
 * provision's effect is its {@code type}, else the policy rule's ({@code OPTOUT}/{@code OPTOUTE} deny, anything else
 * permit). A provision matches when every condition it states matches (actor, purpose, action, class, code, data period,
 * security label; within one kind any listed value suffices) and now lies within its own {@code period}. A nested
 * provision ({@code provision.provision}) is an exception to its parent: its effect is its {@code type}, else the
 * inverse of its parent's. The most deeply nested matching provision decides; among matching siblings deny wins. A root
 * that does not match leaves the Consent silent ({@link Outcome#NOT_APPLICABLE}).
 *
 * <p>Without a record (deciding a whole request before anything is read), conditions on code, data period and security
 * label are unknown: the result then lists every outcome still possible, and a request is refused as a whole only when
 * deny is the only one. A clinical record without its date lies inside a deny provision's data period and outside a
 * permit provision's (deny unless known); a record of a type without a clinical date (Patient) lies outside every one.
 */
final class ConsentEvaluator {
  private ConsentEvaluator() {}

  /** A Consent's answer. */
  enum Outcome { NOT_APPLICABLE, PERMIT, DENY }

  /** The outcomes still possible, each with the path of the provision that yields it ({@code provision.provision[0]}). */
  record Possible(Map<Outcome, String> outcomes) {
    Possible {
      outcomes = Map.copyOf(outcomes);
    }

    boolean only(Outcome o) {
      return outcomes.size() == 1 && outcomes.containsKey(o);
    }

    boolean can(Outcome o) {
      return outcomes.containsKey(o);
    }

    static Possible silent() {
      return new Possible(Map.of(Outcome.NOT_APPLICABLE, ""));
    }
  }

  private enum Match { YES, NO, MAYBE }

  static final String CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
  static final String PATIENT_PRIVACY = "patient-privacy";
  static final String RESEARCH = "research";

  /** Whether the Consent is in force at {@code now} for a call with {@code purpose} (status, scope, root period). */
  static boolean inForce(Consent c, PurposeOfUse purpose, Instant now) {
    if (c.getStatus() != Consent.ConsentState.ACTIVE || !c.hasProvision() || !within(c.getProvision().getPeriod(), now)) {
      return false;
    }
    String scope = scope(c);
    return PATIENT_PRIVACY.equals(scope) || (RESEARCH.equals(scope) && purpose == PurposeOfUse.HRESCH);
  }

  /** The Consent's scope code, or empty string. */
  static String scope(Consent c) {
    return c.getScope().getCoding().stream().filter(x -> x.getSystem() == null || CONSENT_SCOPE.equals(x.getSystem()))
        .map(Coding::getCode).filter(java.util.Objects::nonNull).findFirst().orElse("");
  }

  /** The root provision's effect: its type, else the policy rule's (OPTOUT/OPTOUTE deny, else permit). */
  static Outcome baseEffect(Consent c) {
    if (c.getProvision().hasType()) {
      return effect(c.getProvision().getType());
    }
    boolean optOut = c.getPolicyRule().getCoding().stream().map(Coding::getCode)
        .anyMatch(code -> "OPTOUT".equals(code) || "OPTOUTE".equals(code));
    return optOut ? Outcome.DENY : Outcome.PERMIT;
  }

  /**
   * @param record the record the call would disclose or write; empty to decide the request as a whole
   */
  static Possible evaluate(Consent c, ConsentRequest req, Optional<Resource> record, Instant now) {
    if (!inForce(c, req.purpose(), now)) {
      return Possible.silent();
    }
    Consent.ProvisionComponent root = c.getProvision();
    Match m = match(root, baseEffect(c), req, record, now);
    if (m == Match.NO) {
      return Possible.silent();
    }
    Map<Outcome, String> out = new EnumMap<>(node(root, "provision", baseEffect(c), req, record, now).outcomes());
    if (m == Match.MAYBE) {
      out.putIfAbsent(Outcome.NOT_APPLICABLE, "");
    }
    return new Possible(out);
  }

  private static Possible node(Consent.ProvisionComponent p, String path, Outcome effect, ConsentRequest req,
      Optional<Resource> record, Instant now) {
    // Combined outcome of the matching children so far; NOT_APPLICABLE = no child matched (yet).
    Map<Outcome, String> acc = new EnumMap<>(Map.of(Outcome.NOT_APPLICABLE, path));
    List<Consent.ProvisionComponent> children = p.getProvision();
    for (int i = 0; i < children.size(); i++) {
      Consent.ProvisionComponent child = children.get(i);
      Outcome childEffect = childEffect(child, effect);
      Match m = match(child, childEffect, req, record, now);
      if (m == Match.NO) {
        continue;
      }
      Map<Outcome, String> options = new EnumMap<>(node(child, path + ".provision[" + i + "]", childEffect, req, record, now).outcomes());
      if (m == Match.MAYBE) {
        options.put(Outcome.NOT_APPLICABLE, path);
      }
      Map<Outcome, String> next = new EnumMap<>(Outcome.class);
      acc.forEach((a, ap) -> options.forEach((o, op) -> {
        boolean childWins = o.ordinal() > a.ordinal(); // deny over permit over silence
        next.putIfAbsent(childWins ? o : a, childWins ? op : ap);
      }));
      acc = next;
    }
    Map<Outcome, String> out = new EnumMap<>(Outcome.class);
    acc.forEach((o, at) -> out.putIfAbsent(o == Outcome.NOT_APPLICABLE ? effect : o, o == Outcome.NOT_APPLICABLE ? path : at));
    return new Possible(out);
  }

  /** The provision at {@code path} ({@code provision}, {@code provision.provision[0]}, ...), as the evaluation names it. */
  static Optional<Consent.ProvisionComponent> provisionAt(Consent c, String path) {
    if (path == null || !path.startsWith("provision")) {
      return Optional.empty();
    }
    Consent.ProvisionComponent p = c.getProvision();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.provision\\[(\\d+)]").matcher(path);
    while (m.find()) {
      int i = Integer.parseInt(m.group(1));
      if (i >= p.getProvision().size()) {
        return Optional.empty();
      }
      p = p.getProvision().get(i);
    }
    return Optional.of(p);
  }

  /** A nested provision's effect: its type, else the inverse of its parent's. */
  static Outcome childEffect(Consent.ProvisionComponent child, Outcome parent) {
    return child.hasType() ? effect(child.getType()) : invert(parent);
  }

  private static Outcome effect(Consent.ConsentProvisionType type) {
    return type == Consent.ConsentProvisionType.DENY ? Outcome.DENY : Outcome.PERMIT;
  }

  private static Outcome invert(Outcome o) {
    return o == Outcome.DENY ? Outcome.PERMIT : Outcome.DENY;
  }

  /**
   * @param effect the provision's effect: a record whose date is unknown counts as inside a deny provision's data period
   *               (deny unless known) and outside a permit provision's
   */
  private static Match match(Consent.ProvisionComponent p, Outcome effect, ConsentRequest req, Optional<Resource> record,
      Instant now) {
    if (!within(p.getPeriod(), now)) {
      return Match.NO;
    }
    boolean actor = !p.hasActor() || p.getActor().stream().anyMatch(a -> actorMatches(a, req));
    boolean purpose = !p.hasPurpose() || p.getPurpose().stream().anyMatch(x -> req.purpose().coveredBy(x.getCode()));
    boolean action = !p.hasAction() || p.getAction().stream().flatMap(a -> a.getCoding().stream())
        .anyMatch(x -> req.action().coveredBy(x.getCode()));
    boolean type = !p.hasClass_() || p.getClass_().stream().anyMatch(x -> req.resourceType().equals(x.getCode()));
    if (!actor || !purpose || !action || !type) {
      return Match.NO;
    }
    if (!p.hasCode() && !p.hasDataPeriod() && !p.hasSecurityLabel()) {
      return Match.YES;
    }
    if (record.isEmpty()) {
      return Match.MAYBE;
    }
    Resource r = record.get();
    boolean code = !p.hasCode() || p.getCode().stream().flatMap(cc -> cc.getCoding().stream())
        .anyMatch(x -> codings(r).stream().anyMatch(y -> same(x, y)));
    boolean dated = !p.hasDataPeriod() || recordDate(r).map(d -> within(p.getDataPeriod(), d.toInstant()))
        .orElse(effect == Outcome.DENY && clinical(r));
    boolean label = !p.hasSecurityLabel() || p.getSecurityLabel().stream()
        .anyMatch(x -> r.getMeta().getSecurity().stream().anyMatch(y -> same(x, y)));
    return code && dated && label ? Match.YES : Match.NO;
  }

  /** An actor matches by reference to one of the caller's actors, or by a role code naming one of its roles. */
  private static boolean actorMatches(Consent.provisionActorComponent a, ConsentRequest req) {
    String ref = a.getReference().getReferenceElement().toUnqualifiedVersionless().getValue();
    return (ref != null && req.actors().contains(ref))
        || a.getRole().getCoding().stream().anyMatch(x -> x.getCode() != null && req.roles().contains(x.getCode()));
  }

  /** Same code, and same system when both name one. */
  private static boolean same(Coding a, Coding b) {
    return a.getCode() != null && a.getCode().equals(b.getCode())
        && (a.getSystem() == null || b.getSystem() == null || a.getSystem().equals(b.getSystem()));
  }

  private static boolean within(Period period, Instant t) {
    return (!period.hasStart() || !t.isBefore(period.getStart().toInstant()))
        && (!period.hasEnd() || !t.isAfter(period.getEnd().toInstant()));
  }

  /** Elements that carry a record's clinical codes. */
  private static final List<String> CODE_ELEMENTS = List.of("code", "vaccineCode", "type", "reasonCode", "serviceType");

  /** The codes of a record (its code, vaccine, medication, type, reason and service type). */
  static List<Coding> codings(Resource r) {
    List<Coding> out = new ArrayList<>();
    for (String name : CODE_ELEMENTS) {
      Property p = r.getNamedProperty(name);
      if (p != null) {
        p.getValues().forEach(v -> addCodings(v, out));
      }
    }
    if (r instanceof MedicationRequest m && m.hasMedicationCodeableConcept()) {
      out.addAll(m.getMedicationCodeableConcept().getCoding());
    }
    return out;
  }

  private static void addCodings(Base v, List<Coding> out) {
    if (v instanceof CodeableConcept cc) {
      out.addAll(cc.getCoding());
    } else if (v instanceof Coding c) {
      out.add(c);
    }
  }

  /** Whether a record is of a type that has a clinical date ({@link #recordDate}), whether or not this one carries it. */
  static boolean clinical(Resource r) {
    return r instanceof Observation || r instanceof Condition || r instanceof MedicationRequest || r instanceof DocumentReference
        || r instanceof Encounter || r instanceof Immunization || r instanceof AllergyIntolerance || r instanceof Procedure
        || r instanceof DiagnosticReport || r instanceof Appointment || r instanceof Coverage;
  }

  /** The clinically relevant date of a record (when it happened or was recorded), if it has one. */
  static Optional<Date> recordDate(Resource r) {
    Date d = switch (r) {
      case Observation o -> o.hasEffectiveDateTimeType() ? o.getEffectiveDateTimeType().getValue()
          : o.hasEffectivePeriod() ? o.getEffectivePeriod().getStart() : o.getIssued();
      case Condition c -> c.hasOnsetDateTimeType() ? c.getOnsetDateTimeType().getValue() : c.getRecordedDate();
      case MedicationRequest m -> m.getAuthoredOn();
      case DocumentReference doc -> doc.getDate();
      case Encounter e -> e.getPeriod().getStart();
      case Immunization i -> i.hasOccurrenceDateTimeType() ? i.getOccurrenceDateTimeType().getValue() : i.getRecorded();
      case AllergyIntolerance a -> a.getRecordedDate();
      case Procedure p -> p.hasPerformedDateTimeType() ? p.getPerformedDateTimeType().getValue()
          : p.hasPerformedPeriod() ? p.getPerformedPeriod().getStart() : null;
      case DiagnosticReport dr -> dr.hasEffectiveDateTimeType() ? dr.getEffectiveDateTimeType().getValue() : dr.getIssued();
      case Appointment ap -> ap.getStart();
      case Coverage cov -> cov.getPeriod().getStart();
      default -> null;
    };
    return Optional.ofNullable(d);
  }
}
