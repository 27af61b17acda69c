package io.custos.compliance;

import io.custos.phi.scan.PhiScanResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
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
 * when passing); {@code phi_scan} (the last {@code custos phi scan}, or null when none ran: {@code scanned_at},
 * {@code status}, {@code files}, {@code lines}, {@code findings}, {@code identifiers}, {@code age_hours});
 * {@code test_results} (one object per {@code --test-reports} directory: {@code group}, {@code reports}, {@code tests},
 * {@code failures}, {@code errors}, {@code skipped}, {@code time_seconds}, {@code newest_report} (ISO-8601 or null),
 * {@code status}); {@code witness} ({@code configured}, {@code last_tree_size} and {@code last_witnessed_at}, null when
 * nothing was witnessed). New fields may be added; none is renamed or removed without a new schema version.
 *
 * @param generatedAt   when the checks ran
 * @param serverVersion the Custos version
 * @param checks        one per control, in citation order
 * @param facts         the PHI scan, test results and witness behind the checks
 */
public record ComplianceReport(Instant generatedAt, String serverVersion, List<Check> checks, Facts facts) {
  /** Schema identifier of the JSON form. */
  public static final String SCHEMA = "custos.compliance-report/1";

  public ComplianceReport {
    checks = List.copyOf(checks);
  }

  /** A report without PHI scan, test results or witness. */
  public ComplianceReport(Instant generatedAt, String serverVersion, List<Check> checks) {
    this(generatedAt, serverVersion, checks, new Facts(List.of(), List.of(), WitnessStatus.none()));
  }

  /**
   * Evidence that other tools read as data, besides the checks' text.
   *
   * @param phiScans    the latest PHI scan of each replica (one for a single server)
   * @param testResults JUnit report totals per directory
   * @param witness     the ledger's witness
   */
  public record Facts(List<PhiScanResult> phiScans, List<TestReports.Group> testResults, WitnessStatus witness) {
    public Facts {
      phiScans = List.copyOf(phiScans);
      testResults = List.copyOf(testResults);
    }

    /** The least favourable of the replicas' scans: failing, then inconclusive, then the oldest. */
    public Optional<PhiScanResult> phiScan() {
      return phiScans.stream().min(Comparator.comparingInt((PhiScanResult r) -> switch (r.status()) {
        case FAIL -> 0;
        case INCONCLUSIVE -> 1;
        case PASS -> 2;
      }).thenComparing(PhiScanResult::scannedAt));
    }
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
    m.put("phi_scan", facts.phiScan().map(this::scanDocument).orElse(null));
    m.put("phi_scans", facts.phiScans().stream().map(this::scanDocument).toList());
    List<Map<String, Object>> tests = new ArrayList<>();
    for (TestReports.Group g : facts.testResults()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("group", g.group());
      o.put("reports", g.reports());
      o.put("tests", g.tests());
      o.put("failures", g.failures());
      o.put("errors", g.errors());
      o.put("skipped", g.skipped());
      o.put("time_seconds", g.seconds());
      o.put("newest_report", g.newest().map(Instant::toString).orElse(null));
      o.put("testcases", g.testcases());
      o.put("invalid_counts", g.invalidCounts());
      o.put("status", g.passed() ? Status.PASS.code() : Status.FAIL.code());
      tests.add(o);
    }
    m.put("test_results", tests);
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("configured", facts.witness().dir().isPresent());
    w.put("last_tree_size", facts.witness().last().map(io.custos.verify.checkpoint.Checkpoint::treeSize).orElse(null));
    w.put("last_witnessed_at", facts.witness().last().map(cp -> cp.timestamp().toString()).orElse(null));
    m.put("witness", w);
    return m;
  }

  private Map<String, Object> scanDocument(PhiScanResult r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("scanned_at", r.scannedAt().toString());
    o.put("status", r.status().code());
    o.put("files", r.files());
    o.put("lines", r.lines());
    o.put("findings", r.findings());
    o.put("identifiers", r.identifiers());
    o.put("age_hours", java.time.Duration.between(r.scannedAt(), generatedAt).toHours());
    o.put("replica", r.coverage().replica().orElse(null));
    o.put("data_dir", r.coverage().dataDir());
    o.put("alert_log", r.coverage().alertLog());
    o.put("skipped_files", r.skipped());
    o.put("inconclusive", r.inconclusiveReasons());
    return o;
  }
}
