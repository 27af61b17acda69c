package io.custos.compliance;

import io.custos.config.CustosConfig;
import io.custos.phi.scan.PhiScanResult;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Evaluates each standard against the live configuration and the evidence. Pure: the same inputs give the same
 * report, so the CLI, the console and tests share it.
 */
public final class ComplianceChecks {
  /** Longest automatic-logoff idle time that passes (minutes). */
  static final int MAX_IDLE_MINUTES = 15;
  /** Oldest a key may be before rotation is due. */
  static final Duration MAX_KEY_AGE = Duration.ofDays(365);
  /** Oldest the last {@code custos phi scan} may be (run it at least weekly, e.g. from cron). */
  static final Duration MAX_PHI_SCAN_AGE = Duration.ofDays(7);
  /** What to do about a missing, failing, inconclusive or stale PHI scan. */
  private static final String SCAN_FIX = "Run `custos phi scan` on every replica at least every " + MAX_PHI_SCAN_AGE.toDays()
      + " days, with the data directory (no --no-data-dir) and the captured logs (--path), and remove every identifier"
      + " it finds from logs and exports. An inconclusive scan proves nothing: convert UTF-16 logs to UTF-8, decompress"
      + " .zip/.bz2/.xz archives (gzip is read) or leave binary files out of --path, raise --max-patients above the number"
      + " of patients, and make sure the scanned files hold lines.";
  /** Oldest the newest signed checkpoint may be while entries are unanchored. */
  static final Duration MAX_CHECKPOINT_AGE = Duration.ofHours(24);
  /** The retention period of 45 CFR 164.316(b)(2). */
  static final long RETENTION_DAYS = 6 * 365 + 2;

  private ComplianceChecks() {}

  /**
   * What the checks look at besides the configuration. Built with {@link #builder(Instant)}.
   *
   * @param verification       the ledger verification just run, empty when the ledger could not be read
   * @param lastCheckpoint     the newest signed checkpoint
   * @param keyCreated         key name (ledger, token-map, checkpoint, pseudonym, research) to when its current key was
   *                           made: from the key directory's creation record, else the file's modification time
   * @param keyDatesFromFiles  the keys whose date is a file modification time (no creation record)
   * @param tokenMap           whether the encrypted pseudonym map exists (needed for accounting of disclosures)
   * @param alertLog           whether alerts are recorded where the console reads them
   * @param witness            the ledger's witness
   * @param phiScans           the latest {@code custos phi scan} result of each replica (one for a single server)
   * @param testResults        JUnit report totals, one per directory given; empty when none was given
   * @param now                the current instant
   */
  public record Evidence(Optional<VerificationReport> verification, Optional<Checkpoint> lastCheckpoint,
      Map<String, Instant> keyCreated, Set<String> keyDatesFromFiles, boolean tokenMap, boolean alertLog,
      WitnessStatus witness, List<PhiScanResult> phiScans, List<TestReports.Group> testResults, Instant now) {
    public Evidence {
      phiScans = List.copyOf(phiScans);
      keyCreated = Map.copyOf(keyCreated);
      keyDatesFromFiles = Set.copyOf(keyDatesFromFiles);
      testResults = List.copyOf(testResults);
    }

    /** Evidence at {@code now}, everything absent until set. */
    public static Builder builder(Instant now) {
      return new Builder(now);
    }

    /** Collects the evidence piece by piece. */
    public static final class Builder {
      private final Instant now;
      private Optional<VerificationReport> verification = Optional.empty();
      private Optional<Checkpoint> lastCheckpoint = Optional.empty();
      private Map<String, Instant> keyCreated = Map.of();
      private Set<String> keyDatesFromFiles = Set.of();
      private boolean tokenMap;
      private boolean alertLog;
      private WitnessStatus witness = WitnessStatus.none();
      private List<PhiScanResult> phiScans = List.of();
      private List<TestReports.Group> testResults = List.of();

      private Builder(Instant now) {
        this.now = now;
      }

      public Builder verification(VerificationReport v) {
        verification = Optional.of(v);
        return this;
      }

      public Builder lastCheckpoint(Checkpoint cp) {
        lastCheckpoint = Optional.of(cp);
        return this;
      }

      public Builder keys(Map<String, Instant> created, Set<String> fromFileTimes) {
        keyCreated = created;
        keyDatesFromFiles = fromFileTimes;
        return this;
      }

      public Builder tokenMap(boolean present) {
        tokenMap = present;
        return this;
      }

      public Builder alertLog(boolean present) {
        alertLog = present;
        return this;
      }

      public Builder witness(WitnessStatus w) {
        witness = w;
        return this;
      }

      /** The latest scan of each replica. */
      public Builder phiScans(List<PhiScanResult> latest) {
        phiScans = latest;
        return this;
      }

      public Builder testResults(List<TestReports.Group> groups) {
        testResults = groups;
        return this;
      }

      public Evidence build() {
        return new Evidence(verification, lastCheckpoint, keyCreated, keyDatesFromFiles, tokenMap, alertLog, witness, phiScans,
            testResults, now);
      }
    }
  }

  /** Runs every check. */
  public static ComplianceReport run(CustosConfig config, Evidence evidence, String version) {
    var identity = config.identity();
    var policy = config.policy();
    boolean oauth = !identity.mode().equals("development");
    boolean tls = !config.server().tls().equals("plain");
    boolean ledgerOk = evidence.verification().map(VerificationReport::ok).orElse(false);
    List<ComplianceReport.Check> c = new ArrayList<>();

    c.add(check("access-control", "45 CFR 164.312(a)(1)", "Access control", oauth && policy.requireCareRelationship(),
        List.of("identity.mode: " + identity.mode(), "roles: " + (policy.roles() == null ? "built-in role policy" : policy.roles().keySet()),
            "policy.requireCareRelationship: " + policy.requireCareRelationship()),
        "Set identity.mode to oauth (or introspection) and policy.requireCareRelationship to true."));
    c.add(check("unique-user-identification", "45 CFR 164.312(a)(2)(i)", "Unique user identification", oauth,
        List.of("every call is attributed to the token's sub (identity.mode " + identity.mode() + ")"),
        "Use per-person tokens from your identity provider (identity.mode oauth); development mode shares one identity."));
    c.add(check("emergency-access", "45 CFR 164.312(a)(2)(ii)", "Emergency access procedure",
        !policy.breakGlassRoles().isEmpty() && policy.breakGlassMinutes() <= 240,
        List.of("policy.breakGlassRoles: " + policy.breakGlassRoles(), "grants last " + policy.breakGlassMinutes() + " min",
            "every emergency access is reviewed in the console's break-the-glass queue"),
        "Name the roles allowed to break the glass (policy.breakGlassRoles) and keep policy.breakGlassMinutes at most 240."));
    c.add(check("automatic-logoff", "45 CFR 164.312(a)(2)(iii)", "Automatic logoff",
        identity.idleTimeoutMinutes() <= MAX_IDLE_MINUTES,
        List.of("MCP and console sessions end after " + identity.idleTimeoutMinutes() + " idle min"),
        "Set identity.idleTimeoutMinutes to " + MAX_IDLE_MINUTES + " or less."));
    c.add(check("encryption", "45 CFR 164.312(a)(2)(iv)", "Encryption and decryption",
        evidence.keyCreated().containsKey("ledger") && evidence.keyCreated().containsKey("token-map"),
        List.of("audit ledger entries: AES-256-GCM (Tink keyset)" + present(evidence, "ledger"),
            "patient pseudonym map: AES-256-GCM" + present(evidence, "token-map")),
        "Create the keys with `custos keys init` in <dataDir>/keys."));
    boolean scanOk = scansPassedRecently(evidence);
    List<String> audit = new ArrayList<>(verificationEvidence(evidence));
    audit.addAll(scanEvidence(evidence));
    c.add(check("audit-controls", "45 CFR 164.312(b)", "Audit controls", ledgerOk && scanOk, audit,
        "Run `custos audit verify --ledger <dataDir>/ledger` and investigate every finding; restore the ledger from a witness"
            + " copy if entries were altered. " + SCAN_FIX));
    Optional<Duration> checkpointAge = evidence.lastCheckpoint().map(cp -> Duration.between(cp.timestamp(), evidence.now()));
    long unanchored = evidence.verification().map(VerificationReport::unanchored).orElse(0L);
    boolean anchored = evidence.lastCheckpoint().isPresent()
        && (unanchored == 0 || checkpointAge.orElseThrow().compareTo(MAX_CHECKPOINT_AGE) <= 0);
    c.add(check("integrity", "45 CFR 164.312(c)(1)", "Integrity", ledgerOk && anchored && evidence.witness().readable(),
        List.of("signed checkpoints (Ed25519, C2SP signed notes): " + evidence.verification().map(VerificationReport::checkpoints)
                .map(String::valueOf).orElse("not verified"),
            "newest checkpoint: " + checkpointAge.map(a -> a.toMinutes() + " min old").orElse("none"),
            "entries after it: " + unanchored,
            evidence.witness().describe(evidence.now()),
            "writes: two-phase, bound to the SHA-256 of the approved payload" + (policy.readOnly() ? " (read-only mode: writes off)" : "")),
        "Keep the server running so checkpoints are signed (at least daily), verify the ledger, and keep the witness"
            + " directory (ledger.witnessDir) readable."));
    c.add(check("authentication", "45 CFR 164.312(d)", "Person or entity authentication",
        oauth && !identity.mfaAmr().isEmpty() || oauth && !identity.mfaAcr().isEmpty(),
        List.of("tokens validated: " + identity.algorithms() + " signatures, issuer " + (identity.issuer() == null ? "none" : "configured"),
            "MFA evidence required (amr " + identity.mfaAmr() + ", acr " + identity.mfaAcr() + ") for the console, writes and break-the-glass"),
        "Use identity.mode oauth with your identity provider and list its MFA amr/acr values (identity.mfaAmr, identity.mfaAcr)."));
    boolean upstreamTls = config.upstream().baseUrl() != null && config.upstream().baseUrl().startsWith("https:");
    c.add(check("transmission-security", "45 CFR 164.312(e)(1)", "Transmission security", tls,
        List.of("server.tls: " + config.server().tls() + (config.server().tls().equals("tls13") ? " (TLS 1.3 only)" : ""),
            "FHIR upstream over " + (upstreamTls ? "https" : "http on loopback")),
        "Set server.tls to tls13 (plain HTTP is for loopback development only)."));
    c.add(check("activity-review", "45 CFR 164.308(a)(1)(ii)(D)", "Information system activity review",
        evidence.alertLog() && policy.rateLimitPerMinute() <= 100_000,
        List.of("alerts recorded for review: " + (evidence.alertLog() ? "yes" : "no alert log yet"),
            "rate limit: " + policy.rateLimitPerMinute() + " calls/min per user", "access review: console page and `custos audit export`"),
        "Configure an alert log (console.alertLog) so detection alerts reach the console, and review them daily."));
    c.add(check("incident-procedures", "45 CFR 164.308(a)(6)", "Security incident procedures", evidence.alertLog(),
        List.of("alerts are acknowledged, escalated and closed in the console; each action is a ledger event"),
        "Configure console.alertLog and route alerts to your incident process (escalate in the console)."));
    if (!evidence.testResults().isEmpty()) {
      c.add(check("evaluation", "45 CFR 164.308(a)(8)", "Evaluation", evidence.testResults().stream()
              .allMatch(TestReports.Group::passed),
          evidence.testResults().stream().map(g -> g.group() + ": " + g.reports() + " report(s), " + g.tests() + " tests ("
              + g.testcases() + " test case elements), " + g.failures() + " failures, " + g.errors() + " errors, "
              + g.skipped() + " skipped, "
              + String.format(java.util.Locale.ROOT, "%.1f", g.seconds()) + " s, newest " + g.newest()
                  .map(t -> Duration.between(t, evidence.now()).toHours() + " h old").orElse("none")
              + (g.invalidCounts() == 0 ? "" : ", " + g.invalidCounts() + " INVALID count attribute(s)")).toList(),
          "Fix every failing or erroring test (and give directories that hold JUnit XML reports with <testcase> elements)"
              + " before relying on the controls they cover; a report whose count attributes are not non-negative"
              + " integers is not evidence: regenerate it."));
    }
    List<String> deid = new ArrayList<>(List.of(
        "research tools release only Safe Harbor extracts keyed by research.key" + present(evidence, "research"),
        "small cells suppressed; k-anonymity over released attributes"));
    deid.addAll(scanEvidence(evidence));
    c.add(check("de-identification", "45 CFR 164.514(b)", "De-identification (Safe Harbor)",
        evidence.keyCreated().containsKey("research") && scanOk, deid,
        "Start the server once so <dataDir>/keys/research.key is created; keep it apart from the audit keys. " + SCAN_FIX));
    c.add(check("minimum-necessary", "45 CFR 164.514(d)", "Minimum necessary", policy.requireCareRelationship(),
        List.of("role policy limits tools per role; element allowlists limit fields",
            "care relationship required: " + policy.requireCareRelationship()),
        "Set policy.requireCareRelationship to true."));
    c.add(check("accounting-of-disclosures", "45 CFR 164.528", "Accounting of disclosures", evidence.tokenMap() && ledgerOk,
        List.of("encrypted pseudonym map: " + (evidence.tokenMap() ? "present" : "absent"),
            "report by patient: console Disclosures page or `custos audit report`; each re-identification is audited"),
        "Keep the token map (<dataDir>/ledger/token-map.enc) with the ledger and verify the ledger."));
    Optional<Instant> oldestKey = evidence.keyCreated().values().stream().min(Instant::compareTo);
    boolean keysFresh = oldestKey.map(k -> Duration.between(k, evidence.now()).compareTo(MAX_KEY_AGE) <= 0).orElse(false);
    c.add(check("documentation-retention", "45 CFR 164.316(b)(2)", "Documentation: time limit, availability, updates",
        ledgerOk && keysFresh,
        List.of("ledger entries kept " + RETENTION_DAYS / 365 + " years (`custos audit prune` refuses younger segments)",
            "oldest key: " + oldestKey.map(k -> Duration.between(k, evidence.now()).toDays() + " days old").orElse("none"),
            keyDates(evidence),
            "pruned entries verified by their kept leaf hashes: " + evidence.verification().map(VerificationReport::pruned)
                .map(String::valueOf).orElse("not verified")),
        "Rotate keys older than " + MAX_KEY_AGE.toDays() + " days (`custos keys rotate`) and verify the ledger."));
    return new ComplianceReport(evidence.now(), version, c,
        new ComplianceReport.Facts(evidence.phiScans(), evidence.testResults(), evidence.witness()));
  }

  private static List<String> verificationEvidence(Evidence e) {
    return e.verification().map(v -> List.of(v.summary(), "findings: " + v.findings().size()))
        .orElse(List.of("the ledger could not be read"));
  }

  /** Every replica's latest scan passed (covered the data directory, read lines, skipped nothing) and is fresh. */
  private static boolean scansPassedRecently(Evidence e) {
    return !e.phiScans().isEmpty() && e.phiScans().stream().allMatch(r -> r.passed() && fresh(r, e.now()));
  }

  private static boolean fresh(PhiScanResult r, Instant now) {
    return Duration.between(r.scannedAt(), now).compareTo(MAX_PHI_SCAN_AGE) <= 0;
  }

  /** One line per replica's latest scan. */
  private static List<String> scanEvidence(Evidence e) {
    if (e.phiScans().isEmpty()) {
      return List.of("last PHI scan: never run (custos phi scan)");
    }
    return e.phiScans().stream().map(r -> "last PHI scan" + r.coverage().replica().map(id -> " of replica " + id).orElse("")
        + ": " + r.status().code().toUpperCase(java.util.Locale.ROOT) + ", " + r.findings() + " finding(s) in " + r.files()
        + " file(s), " + r.lines() + " line(s), " + r.identifiers() + " identifier(s) searched, data directory "
        + (r.coverage().dataDir() ? "included" : "NOT included") + ", alert log "
        + (r.coverage().alertLog() ? "included" : "not included")
        + ", " + r.skipped() + " file(s) not read, " + Duration.between(r.scannedAt(), e.now()).toHours() + " h old (at most "
        + MAX_PHI_SCAN_AGE.toDays() + " days" + (fresh(r, e.now()) ? "" : ": STALE") + ")"
        + (r.inconclusiveReasons().isEmpty() ? "" : "; inconclusive: " + String.join("; ", r.inconclusiveReasons()))).toList();
  }

  private static String keyDates(Evidence e) {
    List<String> fromFiles = e.keyCreated().keySet().stream().filter(e.keyDatesFromFiles()::contains).sorted().toList();
    return fromFiles.isEmpty() ? "key ages from the key directory's creation record"
        : "key ages from file modification times (no creation record, keys made before it existed): " + fromFiles;
  }

  private static String present(Evidence e, String key) {
    return e.keyCreated().containsKey(key) ? "" : " (key missing)";
  }

  private static ComplianceReport.Check check(String id, String standard, String title, boolean pass, List<String> evidence,
      String fix) {
    return new ComplianceReport.Check(id, standard, title, pass ? ComplianceReport.Status.PASS : ComplianceReport.Status.FAIL,
        evidence, pass ? Optional.empty() : Optional.of(fix));
  }
}
