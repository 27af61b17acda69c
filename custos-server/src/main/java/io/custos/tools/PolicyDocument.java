package io.custos.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The active tool policy as a document a compliance officer can read (served as the MCP resource
 * {@code custos://policy}). Generated from the same {@link ToolSpec}s the pipeline enforces, so the two
 * cannot drift apart.
 */
public final class PolicyDocument {
  private PolicyDocument() {}

  /** @return a JSON-ready map: {@code {tools: [{name, resourceType, requiredScopes, allowedElements, maxResults, patientBinding, ...}]}} */
  public static Map<String, Object> of(ToolCatalog catalog) {
    List<Map<String, Object>> tools = new ArrayList<>();
    for (ToolSpec t : catalog.tools()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", t.name());
      m.put("title", t.title());
      m.put("resourceType", t.resourceType());
      m.put("readOnly", t.hints().readOnly());
      m.put("requiredScopes", t.requiredScopes());
      m.put("allowedElements", t.allowedElements());
      m.put("maxResultsPerPage", t.maxResults());
      m.put("patientBinding", t.patientPath().map(p -> t.resourceType() + "." + p).orElse("none (not patient-scoped)"));
      if (t.maxDateRangeDays() > 0) {
        m.put("maxDateRangeDays", t.maxDateRangeDays());
      }
      tools.add(m);
    }
    for (ResearchTools.Declaration r : ResearchTools.all()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.name());
      m.put("title", r.title());
      m.put("resourceType", "Patient, Condition (de-identified)");
      m.put("readOnly", r.hints().readOnly());
      m.put("requiredScopes", r.requiredScopes());
      m.put("requiredRole", r.requiredRole());
      m.put("returns", "Safe Harbor de-identified aggregates only (45 CFR 164.514(b)(2)); counts from 1 to "
          + (ResearchTools.MIN_CELL - 1) + " suppressed; extracts of at most " + ResearchTools.MAX_EXTRACT + " patients");
      m.put("patientBinding", "none (cross-patient, de-identified)");
      tools.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("policy", "Custos tool policy: deny unless allowed. Each call needs a granted SMART scope for the tool's "
        + "resource type; patient-scoped tools read only the bound patient (the token's patient context for patient/ scopes).");
    // Issue 5: the pinned tool manifest (hash of every declaration) and the policy version it belongs to.
    doc.put("toolManifest", ToolManifest.of(catalog).toJson());
    doc.put("tools", tools);
    return doc;
  }
}
