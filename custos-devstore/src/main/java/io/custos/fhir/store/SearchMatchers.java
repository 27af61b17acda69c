package io.custos.fhir.store;

import ca.uhn.fhir.model.api.IQueryParameterAnd;
import ca.uhn.fhir.model.api.IQueryParameterOr;
import ca.uhn.fhir.model.api.IQueryParameterType;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.StringParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.param.TokenParamModifier;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumeration;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Search-parameter matching semantics used by the in-memory providers (FHIR R4 &sect;3.1.1 Search, "Search
 * parameter types": string &sect;3.1.1.4.13, token &sect;3.1.1.4.10, reference &sect;3.1.1.4.12, date
 * &sect;3.1.1.4.7). Deliberately a subset:
 * <ul>
 *   <li>string: case- and accent-insensitive starts-with; {@code :exact} and {@code :contains} modifiers;</li>
 *   <li>token: {@code [system]|[code]}, {@code |code}, {@code system|}, {@code code}; modifiers {@code :text}
 *       (starts-with on text/display) and {@code :not}; others are rejected with HTTP 400;</li>
 *   <li>reference: {@code [Type/]id} compared on resource type and id part; chains are rejected;</li>
 *   <li>date: the target value is an instant range (its precision, or a Period); a search with only {@code eq}
 *       bounds matches when the search range contains the target range, any other prefix combination matches when
 *       the ranges overlap (the R4 definition of ge/gt/le/lt).</li>
 * </ul>
 */
final class SearchMatchers {

  private SearchMatchers() {}

  /** AND of ORs: every OR-list must contain a value accepted by {@code test}. Null means "no constraint". */
  static <P extends IQueryParameterType, O extends IQueryParameterOr<P>> boolean all(
      IQueryParameterAnd<O> and, Predicate<P> test) {
    if (and == null) {
      return true;
    }
    for (O or : and.getValuesAsQueryTokens()) {
      boolean any = false;
      for (P p : or.getValuesAsQueryTokens()) {
        if (test.test(p)) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    return true;
  }

  // ---- string ------------------------------------------------------------------------------------------------

  static boolean string(StringParam p, String value) {
    if (value == null || p.getValue() == null) {
      return false;
    }
    if (p.isExact()) {
      return value.equals(p.getValue());
    }
    String v = normalize(value);
    String q = normalize(p.getValue());
    return p.isContains() ? v.contains(q) : v.startsWith(q);
  }

  static boolean humanName(StringParam p, List<HumanName> names, boolean family, boolean given, boolean any) {
    for (HumanName n : names) {
      if ((family || any) && string(p, n.getFamily())) {
        return true;
      }
      if (given || any) {
        for (var g : n.getGiven()) {
          if (string(p, g.getValue())) {
            return true;
          }
        }
      }
      if (any) {
        if (string(p, n.getText())) {
          return true;
        }
        for (var x : n.getPrefix()) {
          if (string(p, x.getValue())) {
            return true;
          }
        }
        for (var x : n.getSuffix()) {
          if (string(p, x.getValue())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  static String normalize(String s) {
    String d = Normalizer.normalize(s, Normalizer.Form.NFD).replaceAll("\\p{M}+", "");
    return d.toLowerCase(Locale.ROOT);
  }

  // ---- token -------------------------------------------------------------------------------------------------

  /** Token against codings (e.g. of one or more CodeableConcepts); {@code text} is the concepts' text values. */
  static boolean codings(TokenParam p, List<Coding> codings, List<String> texts) {
    TokenParamModifier m = p.getModifier();
    if (m == null) {
      return codings.stream().anyMatch(c -> systemAndCode(p, c.getSystem(), c.getCode()));
    }
    return switch (m) {
      case NOT -> codings.stream().noneMatch(c -> systemAndCode(p, c.getSystem(), c.getCode()));
      case TEXT -> {
        StringParam sp = new StringParam(p.getValue());
        yield texts.stream().anyMatch(t -> string(sp, t))
            || codings.stream().anyMatch(c -> string(sp, c.getDisplay()));
      }
      default -> throw new InvalidRequestException("Unsupported token modifier");
    };
  }

  static boolean concept(TokenParam p, CodeableConcept cc) {
    return concepts(p, cc == null ? List.of() : List.of(cc));
  }

  static boolean concepts(TokenParam p, Collection<CodeableConcept> ccs) {
    List<Coding> codings = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (CodeableConcept cc : ccs) {
      if (cc != null) {
        codings.addAll(cc.getCoding());
        if (cc.hasText()) {
          texts.add(cc.getText());
        }
      }
    }
    return codings(p, codings, texts);
  }

  static boolean identifiers(TokenParam p, List<Identifier> identifiers) {
    TokenParamModifier m = p.getModifier();
    if (m != null && m != TokenParamModifier.NOT) {
      throw new InvalidRequestException("Unsupported token modifier");
    }
    boolean hit = identifiers.stream().anyMatch(i -> systemAndCode(p, i.getSystem(), i.getValue()));
    return m == TokenParamModifier.NOT ? !hit : hit;
  }

  /** Token against a code-typed element (e.g. Patient.gender, Observation.status). */
  static boolean code(TokenParam p, Enumeration<?> e) {
    String code = e == null ? null : e.getCode();
    String system = e == null ? null : e.getSystem();
    TokenParamModifier m = p.getModifier();
    if (m != null && m != TokenParamModifier.NOT) {
      throw new InvalidRequestException("Unsupported token modifier");
    }
    boolean hit = code != null && systemAndCode(p, system, code);
    return m == TokenParamModifier.NOT ? !hit : hit;
  }

  /** Token against a plain id (for {@code _id}). */
  static boolean id(TokenParam p, String id) {
    return p.getValue() != null && p.getValue().equals(id);
  }

  private static boolean systemAndCode(TokenParam p, String system, String code) {
    String ps = p.getSystem();
    String pv = p.getValue();
    if (ps != null) {
      if (ps.isEmpty()) {
        if (system != null && !system.isEmpty()) {
          return false;
        }
      } else if (!ps.equals(system)) {
        return false;
      }
    }
    if (pv == null || pv.isEmpty()) {
      return ps != null && !ps.isEmpty();
    }
    return pv.equals(code);
  }

  // ---- reference ---------------------------------------------------------------------------------------------

  /**
   * @param requiredType if non-null the reference must point to this type (e.g. {@code Patient} for a
   *                     {@code patient} search parameter)
   */
  static boolean reference(ReferenceParam p, Reference ref, String requiredType) {
    rejectChain(p);
    if (ref == null || !ref.hasReference()) {
      return false;
    }
    IIdType target = ref.getReferenceElement();
    if (requiredType != null && !requiredType.equals(target.getResourceType())) {
      return false;
    }
    String pType = p.getResourceType();
    if (pType != null && !pType.isEmpty() && !pType.equals(target.getResourceType())) {
      return false;
    }
    return p.getIdPart() != null && p.getIdPart().equals(target.getIdPart());
  }

  static boolean anyReference(ReferenceParam p, List<Reference> refs, String requiredType) {
    for (Reference r : refs) {
      if (reference(p, r, requiredType)) {
        return true;
      }
    }
    return false;
  }

  private static void rejectChain(ReferenceParam p) {
    if (p.getChain() != null && !p.getChain().isEmpty()) {
      throw new InvalidRequestException("Chained search parameters are not supported");
    }
  }

  /** The patient id a {@code patient}/{@code subject} parameter names (for index lookups), or null. */
  static String patientId(ReferenceParam p) {
    if (p == null) {
      return null;
    }
    rejectChain(p);
    String type = p.getResourceType();
    if (type != null && !type.isEmpty() && !"Patient".equals(type)) {
      return null;
    }
    return p.getIdPart();
  }

  // ---- date --------------------------------------------------------------------------------------------------

  /** @return the instant range [lo, hi] (epoch millis, inclusive) a date/dateTime/instant/Period covers, or null */
  static long[] range(Base value) {
    if (value instanceof Period period) {
      if (!period.hasStart() && !period.hasEnd()) {
        return null;
      }
      long lo = period.hasStart() ? range(period.getStartElement())[0] : Long.MIN_VALUE;
      long hi = period.hasEnd() ? range(period.getEndElement())[1] : Long.MAX_VALUE;
      return new long[] {lo, hi};
    }
    if (value instanceof BaseDateTimeType dt && dt.getValue() != null) {
      Date start = dt.getValue();
      Date next = dt.getPrecision().add(start, 1);
      return new long[] {start.getTime(), next.getTime() - 1};
    }
    return null;
  }

  /** @return the start of the value's range (for sorting), or null */
  static Long start(Base value) {
    long[] r = range(value);
    return r == null ? null : r[0];
  }

  static boolean date(DateRangeParam p, Base value) {
    if (p == null || (p.getLowerBound() == null && p.getUpperBound() == null)) {
      return true;
    }
    long[] r = range(value);
    if (r == null) {
      return false;
    }
    Date loD = p.getLowerBoundAsInstant();
    Date hiD = p.getUpperBoundAsInstant();
    long lo = loD == null ? Long.MIN_VALUE : loD.getTime();
    long hi = hiD == null ? Long.MAX_VALUE : hiD.getTime();
    if (isEq(p)) {
      return r[0] >= lo && r[1] <= hi;
    }
    return r[1] >= lo && r[0] <= hi;
  }

  private static boolean isEq(DateRangeParam p) {
    ParamPrefixEnum lp = p.getLowerBound() == null ? null : p.getLowerBound().getPrefix();
    ParamPrefixEnum up = p.getUpperBound() == null ? null : p.getUpperBound().getPrefix();
    return p.getLowerBound() != null && p.getUpperBound() != null
        && (lp == null || lp == ParamPrefixEnum.EQUAL)
        && (up == null || up == ParamPrefixEnum.EQUAL);
  }
}
