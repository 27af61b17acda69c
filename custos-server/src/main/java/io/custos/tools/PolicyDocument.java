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

  /**
   * @return a JSON-ready map: {@code {policy, toolManifest, declarations: [{kind, name, title, route, requiredScopes,
   *     access, readOnly, (read tools:) resourceType, allowedElements, maxResultsPerPage, patientBinding, maxDateRangeDays}]}}
   */
  public static Map<String, Object> of(Registry registry) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Declaration d : registry.all()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", d.kind().name().toLowerCase(java.util.Locale.ROOT));
      m.put("name", d.name());
      m.put("title", d.title());
      m.put("route", d.route().name().toLowerCase(java.util.Locale.ROOT));
      m.put("readOnly", d.hints().readOnly());
      m.put("requiredScopes", d.requiredScopes());
      m.put("access", access(d.access()));
      if (d instanceof ToolSpec t) {
        m.put("resourceType", t.resourceType());
        m.put("allowedElements", t.allowedElements());
        m.put("maxResultsPerPage", t.maxResults());
        m.put("patientBinding", t.patientPath().map(p -> t.resourceType() + "." + p).orElse("none (not patient-scoped)"));
        if (t.maxDateRangeDays() > 0) {
          m.put("maxDateRangeDays", t.maxDateRangeDays());
        }
      }
      if (d.route() == Route.RESEARCH) {
        m.put("returns", "Safe Harbor de-identified aggregates only (45 CFR 164.514(b)(2)); counts from 1 to "
            + (ResearchTools.MIN_CELL - 1) + " suppressed; extracts of at most " + ResearchTools.MAX_EXTRACT + " patients");
      }
      out.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("policy", "Custos policy: deny unless allowed. Every declaration below takes its route's stages: authenticate, "
        + "rate limit, authorize (role, SMART scope, MFA), audit intent, validate, then its own stages and audit result. "
        + "Patient-scoped tools read only the bound patient (the token's patient context for patient/ scopes, else a "
        + "patient in the user's care or under break-the-glass).");
    doc.put("toolManifest", ToolManifest.of(registry).toJson());
    doc.put("declarations", out);
    return doc;
  }

  /** The authorization rules of one declaration, as published. */
  static Map<String, Object> access(Access a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("resourceTypes", a.resourceTypes());
    m.put("permissions", a.permissions());
    m.put("patientScopes", a.patientScopes());
    m.put("patientBinding", a.binding().name().toLowerCase(java.util.Locale.ROOT));
    m.put("roleListed", a.roleListed());
    m.put("mfa", a.mfa());
    a.maxAuthAge().ifPresent(age -> m.put("maxAuthAgeMinutes", age.toMinutes()));
    return m;
  }
}
