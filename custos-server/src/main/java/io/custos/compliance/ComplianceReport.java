package io.custos.compliance;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The compliance report: each HIPAA Security and Privacy Rule standard Custos addresses, mapped to live checks of the
 * configuration and to evidence (ledger verification, checkpoint signatures, key ages), each passing or failing with
 * what to fix.
 *
 * <p>The JSON form ({@link #document()}) is read by other tools; its field names are stable within
 * {@value #SCHEMA}: {@code schema}, {@code generated_at} (ISO-8601 UTC), {@code server_version}, {@code summary}
 * ({@code passed}, {@code failed}, {@code status}) and {@code checks}, each with {@code id} (stable, e.g.
 * {@code audit-controls}), {@code standard} (the CFR citation, e.g. {@code 45 CFR 164.312(b)}), {@code title},
 * {@code status} ({@code pass} or {@code fail}), {@code evidence} (list of strings) and {@code fix} (string, or null
 * when passing). New fields may be added; none is renamed or removed without a new schema version.
 *
 * @param generatedAt   when the checks ran
 * @param serverVersion the Custos version
 * @param checks        one per control, in citation order
 */
public record ComplianceReport(Instant generatedAt, String serverVersion, List<Check> checks) {
  /** Schema identifier of the JSON form. */
  public static final String SCHEMA = "custos.compliance-report/1";

  public ComplianceReport {
    checks = List.copyOf(checks);
  }

  /** Outcome of one check. */
  public enum Status {
    PASS, FAIL;

    /** The JSON value, {@code pass} or {@code fail}. */
    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One control.
   *
   * @param id       stable identifier
   * @param standard CFR citation
   * @param title    the standard's name
   * @param status   pass or fail
   * @param evidence what was checked and found (PHI-free)
   * @param fix      what to change when failing
   */
  public record Check(String id, String standard, String title, Status status, List<String> evidence, Optional<String> fix) {
    public Check {
      evidence = List.copyOf(evidence);
    }

    /** Whether it passed (for templates). */
    public boolean passed() {
      return status == Status.PASS;
    }
  }

  public long passed() {
    return checks.stream().filter(Check::passed).count();
  }

  public long failed() {
    return checks.size() - passed();
  }

  /** The JSON document with the stable field names above. */
  public Map<String, Object> document() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("schema", SCHEMA);
    m.put("generated_at", generatedAt.toString());
    m.put("server_version", serverVersion);
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("passed", passed());
    summary.put("failed", failed());
    summary.put("status", failed() == 0 ? Status.PASS.code() : Status.FAIL.code());
    m.put("summary", summary);
    List<Map<String, Object>> list = new ArrayList<>();
    for (Check c : checks) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("id", c.id());
      o.put("standard", c.standard());
      o.put("title", c.title());
      o.put("status", c.status().code());
      o.put("evidence", c.evidence());
      o.put("fix", c.fix().orElse(null));
      list.add(o);
    }
    m.put("checks", list);
    return m;
  }
}
