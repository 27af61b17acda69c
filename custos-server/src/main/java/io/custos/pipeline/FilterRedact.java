package io.custos.pipeline;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import io.custos.phi.ElementAllowlist;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveCategory;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.phi.WithheldTally;
import io.custos.tools.ResultShape;
import io.custos.tools.ToolSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Stage 6, filter/redact: drops any resource that is not in the bound patient's compartment (defence in
 * depth against a misbehaving upstream), cuts each remaining resource down to the tool's declared elements
 * ({@link ElementAllowlist}), projects it to the tool's documented output, fences free text (done by the
 * projection), bounds the page, and hashes the result for audit.
 */
final class FilterRedact implements Stage {
  @Override
  public StageName name() {
    return StageName.FILTER;
  }

  private final FhirContext fhir;
  private final FhirTerser terser;
  /** Per-tool element allowlists, built on first use from ToolSpec.allowedElements. */
  private final Map<String, ElementAllowlist> allowlists = new ConcurrentHashMap<>();
  private final PageCursors cursors;
  /** Sensitive-category classification (value sets + security labels) and who may see what. */
  private final SensitiveCategories sensitive;
  private final SensitiveDataPolicy sensitivePolicy;

  FilterRedact(FhirContext fhir, PageCursors cursors) {
    this(fhir, cursors, SensitiveDataPolicy.byRole());
  }

  FilterRedact(FhirContext fhir, PageCursors cursors, SensitiveDataPolicy sensitivePolicy) {
    this(fhir, cursors, new SensitiveCategories(fhir), sensitivePolicy);
  }

  FilterRedact(FhirContext fhir, PageCursors cursors, SensitiveCategories sensitive, SensitiveDataPolicy sensitivePolicy) {
    this.sensitive = sensitive;
    this.sensitivePolicy = sensitivePolicy;
    this.fhir = fhir;
    this.terser = fhir.newTerser();
    this.cursors = cursors;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    var spec = (ToolSpec) ex.declaration;
    List<Map<String, Object>> items = new ArrayList<>();
    WithheldTally withheld = new WithheldTally();
    List<String> disclosed = new ArrayList<>();
    for (Resource r : ex.page.resources()) {
      if (items.size() < spec.maxResults() && r.fhirType().equals(spec.resourceType()) && inCompartment(ex, r)) {
        if (ex.consentWithholds.test(r)) { // the patient's Consent (consent stage): withheld and signalled
          withheld.addConsent();
          continue;
        }
        // Sensitive categories (42 CFR Part 2, mental health, HIV, reproductive health, violence, restricted):
        // classified on the full resource (security labels live in meta), withheld unless the policy permits, and counted.
        Set<SensitiveCategory> categories = sensitive.classify(r);
        if (!categories.isEmpty() && !sensitivePolicy.permitsAll(ex.caller, categories)) {
          withheld.add(categories);
          continue;
        }
        // Minimum necessary (45 CFR 164.514(d)): the projection only ever sees a copy holding the tool's
        // declared allowedElements; contained, extensions, narrative and meta are gone unless declared.
        items.add(spec.projection().apply(allowlist(spec).apply(r)));
        disclosed.add(r.getIdElement().getIdPart());
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    if (ex.patientId != null) {
      out.put("patient_id", ex.patientId);
    }
    switch (spec.shape()) {
      case ResultShape.Single single -> {
        if (items.isEmpty() && withheld.onlyConsent()) {
          throw new ToolCallException(ToolCallException.Reason.CONSENT, "The record is withheld: the patient's consent does not permit it for this caller or purpose.");
        }
        if (items.isEmpty() && !withheld.isEmpty()) {
          throw new ToolCallException(ToolCallException.Reason.FORBIDDEN, "The record is withheld: it is in a sensitive category ("
              + String.join(", ", withheld.categoryIds()) + ") that this caller's role does not permit.");
        }
        if (items.isEmpty()) {
          throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The requested record was not found.");
        }
        out.put(single.key(), items.get(0));
      }
      case ResultShape.ListOf list -> {
        out.put("items", items);
        out.put("count", items.size());
        if (!withheld.isEmpty()) {
          out.put("withheld", withheld.toJson());
        }
        var nextLink = ex.page.nextLink().filter(l -> !ex.page.resources().isEmpty()); // withheld items still advance the page
        if (list.paged()) {
          nextLink.ifPresent(l -> out.put("next_cursor", cursors.issue(ex.caller.subject(), spec.name(), ex.patientId, l)));
        } else if (nextLink.isPresent() || ex.page.resources().size() > spec.maxResults()) {
          out.put("truncated", true);
        }
      }
    }
    if (spec.patientPath().isEmpty() && spec.resourceType().equals("Patient")) {
      ex.disclosed(disclosed); // a directory lookup: every patient it names is audited (as a pseudonym)
    }
    ex.result(out, items.size(), Completion.SUCCESS);
    return next.proceed(ex);
  }

  private ElementAllowlist allowlist(ToolSpec spec) {
    return allowlists.computeIfAbsent(spec.name(), n -> new ElementAllowlist(fhir, spec.resourceType(), spec.allowedElements()));
  }

  private boolean inCompartment(ToolExchange ex, Resource r) {
    String path = ((ToolSpec) ex.declaration).patientPath().orElse(null);
    if (path == null) {
      return true;
    }
    if (path.equals("id")) {
      return r.getIdElement().getIdPart().equals(ex.patientId);
    }
    String expected = "Patient/" + ex.patientId;
    for (Reference ref : terser.getValues(r, r.fhirType() + "." + path, Reference.class)) {
      if (ref.getReferenceElement().getResourceType() != null
          && expected.equals(ref.getReferenceElement().toUnqualifiedVersionless().getValue())) {
        return true;
      }
    }
    return false;
  }

}
