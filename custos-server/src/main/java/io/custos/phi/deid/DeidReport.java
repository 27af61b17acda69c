package io.custos.phi.deid;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The coverage report of a {@link DeidConfig}: for each of the 18 Safe Harbor identifier kinds
 * (45 CFR 164.514(b)(2)(i)(A)-(R)), which rules handle it and how, and whether the configuration meets
 * Safe Harbor for it (a kind handled only by {@code KEEP}, or dates handled by {@code DATE_SHIFT}, does
 * not). Generated from the active configuration, so it cannot drift from what the engine does.
 */
public final class DeidReport {
  private DeidReport() {}

  /** @return {@code {configuration, safeHarbor, kinds: [{kind, citation, description, status, handling: [..]}]}} */
  public static Map<String, Object> of(DeidConfig config) {
    List<Map<String, Object>> kinds = new ArrayList<>();
    boolean all = true;
    for (SafeHarborKind k : SafeHarborKind.values()) {
      List<String> handling = new ArrayList<>();
      boolean removing = false;
      boolean shiftOnly = false;
      for (DeidRule r : config.rules()) {
        if (r.kinds().contains(k)) {
          handling.add(r.target() + " -> " + r.method().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
          removing |= r.method() != DeidMethod.KEEP && r.method() != DeidMethod.DATE_SHIFT;
          shiftOnly |= k == SafeHarborKind.C && r.method() == DeidMethod.DATE_SHIFT;
        }
      }
      if (k == SafeHarborKind.R) {
        handling.add("extensions not in the kept list (" + config.keptExtensions().size() + " URLs) -> redact");
      }
      String status = handling.isEmpty() ? "NOT COVERED" : shiftOnly ? "COVERED BY DATE SHIFT (not Safe Harbor; expert determination needed)"
          : removing ? "COVERED" : "NOT COVERED (kept)";
      all &= status.equals("COVERED");
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", k.name());
      m.put("citation", k.citation());
      m.put("description", k.description());
      m.put("status", status);
      m.put("handling", handling);
      kinds.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("configuration", config.name());
    doc.put("safeHarbor", all);
    doc.put("referenceDate", config.referenceDate().toString());
    doc.put("restrictedZip3", DeIdentifier.RESTRICTED_ZIP3.stream().sorted().toList());
    doc.put("kinds", kinds);
    return doc;
  }

  /** The report as plain text, one block per kind. */
  public static String text(DeidConfig config) {
    Map<String, Object> doc = of(config);
    StringBuilder sb = new StringBuilder("De-identification coverage, configuration '" + doc.get("configuration")
        + "' (Safe Harbor: " + ((Boolean) doc.get("safeHarbor") ? "yes" : "NO") + ")\n");
    for (Object o : (List<?>) doc.get("kinds")) {
      Map<?, ?> k = (Map<?, ?>) o;
      sb.append("(").append(k.get("kind")).append(") ").append(k.get("description")).append("\n    ")
          .append(k.get("status")).append('\n');
      for (Object h : (List<?>) k.get("handling")) {
        sb.append("      ").append(h).append('\n');
      }
    }
    return sb.toString();
  }
}
