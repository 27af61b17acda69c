package io.custos.phi.deid;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementCompositeDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.Period;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Age;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Quantity;

/**
 * Safe Harbor de-identification of FHIR R4 resources (45 CFR 164.514(b)(2)): applies the configured
 * {@link DeidRule}s to every element, in structured elements, extensions and free text, covering the 18
 * identifier kinds (A)-(R) as listed by {@link DeidReport}. Returns a new resource; the input is not
 * modified.
 *
 * <p>Rule resolution per element: a path rule for the element ({@code Patient.photo}, or
 * {@code Resource.x}/{@code DomainResource.x} for any resource), else a type rule for its datatype
 * ({@code type:HumanName}), else keep (composites are walked recursively, so rules apply below them).
 * Extensions survive only when their URL is in {@link DeidConfig#keptExtensions()}. Works through HAPI's
 * runtime model (children, accessors, mutators): no reflection. Thread-safe.
 */
public final class DeIdentifier {
  /** HHS's 3-digit ZIP prefixes with 20,000 or fewer people (2000 Census), replaced by 000. */
  public static final Set<String> RESTRICTED_ZIP3 = Set.of("036", "059", "063", "102", "203", "556", "692", "790", "821",
      "823", "830", "831", "878", "879", "884", "890", "893");

  private final FhirContext fhir;
  private final DeidConfig config;
  private final Pseudonyms pseudonyms;

  public DeIdentifier(FhirContext fhir, DeidConfig config) {
    this.fhir = fhir;
    this.config = config;
    this.pseudonyms = new Pseudonyms(config.key());
  }

  public DeidConfig config() {
    return config;
  }

  /** The 3-digit ZIP rule: the first three digits, or 000 for a restricted prefix. */
  public static String zip3(String zipPrefix) {
    return RESTRICTED_ZIP3.contains(zipPrefix) ? "000" : zipPrefix;
  }

  /** The keyed pseudonym of a resource id, as {@link #deidentify} writes it (for linkage by callers). */
  public String pseudonymId(String resourceType, String id) {
    return pseudonyms.pseudonym("id", resourceType + "/" + id);
  }

  /**
   * @param resource any R4 resource
   * @param context  the patient it belongs to (date shift, ages over 89, known names for free text)
   * @return a de-identified copy
   */
  public <T extends IBaseResource> T deidentify(T resource, DeidContext context) {
    T out = walk(resource, context);
    attachments(out, resource, context);
    return out;
  }

  @SuppressWarnings("unchecked")
  private <T extends IBaseResource> T walk(T resource, DeidContext context) {
    RuntimeResourceDefinition def = fhir.getResourceDefinition(resource);
    T out = (T) def.newInstance();
    new Walk(context).children(def, def.getName(), resource, out, true);
    return out;
  }

  /** One de-identification pass (holds the per-patient scrubber). */
  private final class Walk {
    private final DeidContext ctx;
    private final TextScrubber scrubber;

    Walk(DeidContext ctx) {
      this.ctx = ctx;
      this.scrubber = new TextScrubber(ctx);
    }

    void children(BaseRuntimeElementCompositeDefinition<?> def, String typeName, IBase src, IBase dst, boolean isResource) {
      for (BaseRuntimeChildDefinition child : def.getChildren()) {
        for (IBase value : child.getAccessor().getValues(src)) {
          IBase copied = element(child, typeName, value, isResource);
          if (copied != null && !copied.isEmpty()) {
            child.getMutator().addValue(dst, copied);
          }
        }
      }
      if (isResource && src instanceof IBaseResource r && r.getIdElement().hasIdPart() && dst instanceof IBaseResource d
          && rule(typeName, "id", null, true) != null) {
        d.setId(pseudonymId(typeName, r.getIdElement().getIdPart()));
      }
    }

    private DeidRule rule(String parentType, String childName, BaseRuntimeElementDefinition<?> vdef, boolean isResource) {
      for (DeidRule r : config.rules()) {
        if (r.isTypeRule()) {
          continue;
        }
        String t = r.target();
        if (t.equals(parentType + "." + childName)
            || (isResource && (t.equals("Resource." + childName) || t.equals("DomainResource." + childName)))) {
          return r;
        }
      }
      if (vdef != null) {
        for (DeidRule r : config.rules()) {
          if (r.isTypeRule() && r.typeName().equals(vdef.getName())) {
            return r;
          }
        }
      }
      return null;
    }

    private IBase element(BaseRuntimeChildDefinition child, String parentType, IBase value, boolean isResource) {
      String name = child.getElementName();
      if (isResource && name.equals("id")) {
        return null; // set as a pseudonym by children()
      }
      BaseRuntimeElementDefinition<?> vdef = child.getChildElementDefinitionByDatatype(value.getClass());
      if (vdef == null) {
        vdef = fhir.getElementDefinition(value.getClass());
      }
      if (value instanceof IBaseResource nested) {
        DeidRule r = rule(parentType, name, null, isResource);
        return r != null && r.method() == DeidMethod.REDACT ? null : deidentify(nested, ctx);
      }
      if (value instanceof Extension ext && (ext.getUrl() == null || !config.keptExtensions().contains(ext.getUrl()))) {
        return null; // (R): an extension not known to be identifier-free is removed with everything in it
      }
      DeidRule r = rule(parentType, name, vdef, isResource);
      DeidMethod method = r == null ? DeidMethod.KEEP : r.method();
      return switch (method) {
        case REDACT -> null;
        case SUBSTITUTE -> substitute(child, vdef, r.value());
        case CRYPTO_HASH -> hash(child, vdef, value, parentType, name);
        case DATE_SHIFT -> value instanceof BaseDateTimeType d ? shift(d, parentType, name) : keep(child, vdef, value);
        case GENERALIZE -> generalize(child, vdef, value, parentType, name);
        case SCRUB_TEXT -> scrub(child, vdef, value, parentType);
        case KEEP -> keep(child, vdef, value);
      };
    }

    /** Copies a value, still applying rules below it. */
    private IBase keep(BaseRuntimeChildDefinition child, BaseRuntimeElementDefinition<?> vdef, IBase value) {
      if (value instanceof IPrimitiveType<?> p) {
        IPrimitiveType<?> out = (IPrimitiveType<?>) vdef.newInstance(child.getInstanceConstructorArguments());
        out.setValueAsString(p.getValueAsString());
        return out;
      }
      if (vdef instanceof BaseRuntimeElementCompositeDefinition<?> c) {
        IBase out = c.newInstance(child.getInstanceConstructorArguments());
        children(c, vdef.getName(), value, out, false);
        if (value instanceof Extension e && out instanceof Extension o) {
          o.setUrl(e.getUrl());
        }
        return out;
      }
      return null;
    }

    private IBase substitute(BaseRuntimeChildDefinition child, BaseRuntimeElementDefinition<?> vdef, String replacement) {
      if (replacement == null || !(vdef.newInstance(child.getInstanceConstructorArguments()) instanceof IPrimitiveType<?> out)) {
        return null;
      }
      out.setValueAsString(replacement);
      return out;
    }

    private IBase hash(BaseRuntimeChildDefinition child, BaseRuntimeElementDefinition<?> vdef, IBase value, String parentType,
        String name) {
      if (!(value instanceof IPrimitiveType<?> p) || p.getValueAsString() == null) {
        return null;
      }
      String v = p.getValueAsString();
      String hashed;
      if (parentType.equals("Reference") && name.equals("reference")) {
        // Keep the resource type so references still resolve against pseudonymized ids (linkage).
        int slash = v.indexOf('/');
        String type = slash > 0 && !v.contains(":") ? v.substring(0, slash) : null;
        String id = type == null ? v : v.substring(slash + 1).split("/_history")[0];
        hashed = type == null ? "urn:uuid:" + pseudonyms.pseudonym("ref", v) : type + "/" + pseudonymId(type, id);
      } else {
        hashed = pseudonyms.pseudonym(parentType + "." + name, v);
      }
      IPrimitiveType<?> out = (IPrimitiveType<?>) vdef.newInstance(child.getInstanceConstructorArguments());
      out.setValueAsString(hashed);
      return out;
    }

    private IBase shift(BaseDateTimeType d, String parentType, String name) {
      if (d.getValue() == null) {
        return null;
      }
      if (parentType.equals("Patient") && name.equals("birthDate") && over89()) {
        return null;
      }
      BaseDateTimeType out = (BaseDateTimeType) d.copy();
      out.getExtension().clear();
      out.setId((String) null);
      long ms = (long) pseudonyms.shiftDays(ctx.patientId(), config.maxShiftDays()) * 86_400_000L;
      out.setValue(new Date(d.getValue().getTime() + ms), d.getPrecision());
      return out;
    }

    private boolean over89() {
      return ctx.birthDate().map(b -> Period.between(b, config.referenceDate()).getYears() > 89).orElse(false);
    }

    private IBase generalize(BaseRuntimeChildDefinition child, BaseRuntimeElementDefinition<?> vdef, IBase value, String parentType,
        String name) {
      if (value instanceof BaseDateTimeType d) {
        if (d.getValue() == null) {
          return null;
        }
        boolean birth = parentType.equals("Patient") && name.equals("birthDate");
        if (birth && over89()) {
          return null; // (C): ages over 89 and their birth year are aggregated into "90 or older"
        }
        BaseDateTimeType out = (BaseDateTimeType) vdef.newInstance(child.getInstanceConstructorArguments());
        if (out instanceof org.hl7.fhir.r4.model.InstantType) {
          return null; // an instant cannot hold a year alone
        }
        out.setValueAsString(String.format(Locale.ROOT, "%04d", d.getYear())); // FHIR years have four digits
        return out;
      }
      if (value instanceof Address a) {
        Address out = new Address();
        // State and country are kept (B), but they are free strings: scrubbed like any text.
        if (a.hasState()) {
          out.setState(scrubber.scrub(a.getState()));
        }
        if (a.hasCountry()) {
          out.setCountry(scrubber.scrub(a.getCountry()));
        }
        if (a.hasUse()) {
          out.setUse(a.getUse());
        }
        if (a.hasPostalCode()) {
          String digits = a.getPostalCode().replaceAll("[^0-9]", "");
          if (digits.length() >= 3) {
            out.setPostalCode(zip3(digits.substring(0, 3)));
          }
        }
        return out;
      }
      if (value instanceof Age age && age.hasValue()) {
        Quantity out = new Age();
        out.setUnit(age.getUnit()).setSystem(age.getSystem()).setCode(age.getCode());
        boolean years = "a".equals(age.getCode()) || (age.getUnit() != null && age.getUnit().toLowerCase(Locale.ROOT).startsWith("y"));
        if (years && age.getValue().compareTo(BigDecimal.valueOf(89)) > 0) {
          out.setValue(90).setComparator(Quantity.QuantityComparator.GREATER_OR_EQUAL);
        } else {
          out.setValue(age.getValue());
        }
        return out;
      }
      return keep(child, vdef, value);
    }

    private IBase scrub(BaseRuntimeChildDefinition child, BaseRuntimeElementDefinition<?> vdef, IBase value, String parentType) {
      if (parentType.equals("Attachment") && vdef.getName().equals("base64Binary")) {
        return null; // handled with the whole Attachment below
      }
      if (value instanceof IPrimitiveType<?> p) {
        IPrimitiveType<?> out = (IPrimitiveType<?>) vdef.newInstance(child.getInstanceConstructorArguments());
        out.setValueAsString(scrubber.scrub(p.getValueAsString()));
        return out;
      }
      return keep(child, vdef, value);
    }

  }

  /**
   * Attachments need both their content type and data: text/* data is decoded, scrubbed and re-encoded;
   * anything else (photos, audio, scanned documents: kinds P, Q) is removed. Applied after the walk.
   */
  private void attachments(IBaseResource out, IBaseResource src, DeidContext ctx) {
    List<Attachment> in = fhir.newTerser().getAllPopulatedChildElementsOfType(src, Attachment.class);
    List<Attachment> res = fhir.newTerser().getAllPopulatedChildElementsOfType(out, Attachment.class);
    if (in.size() != res.size()) {
      return;
    }
    TextScrubber scrubber = new TextScrubber(ctx);
    for (int i = 0; i < in.size(); i++) {
      Attachment a = in.get(i);
      boolean text = a.hasContentType() && a.getContentType().toLowerCase(Locale.ROOT).startsWith("text/");
      if (a.hasData() && text) {
        res.get(i).setData(scrubber.scrub(new String(a.getData(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

}
