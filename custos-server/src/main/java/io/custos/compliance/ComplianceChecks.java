package io.custos.compliance;

import io.custos.config.CustosConfig;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Evaluates each standard against the live configuration and the evidence. Pure: the same inputs give the same
 * report, so the CLI, the console and tests share it.
 */
public final class ComplianceChecks {
  /** Longest automatic-logoff idle time that passes (minutes). */
  static final int MAX_IDLE_MINUTES = 15;
  /** Oldest a key may be before rotation is due. */
  static final Duration MAX_KEY_AGE = Duration.ofDays(365);
  /** Oldest the newest signed checkpoint may be while entries are unanchored. */
  static final Duration MAX_CHECKPOINT_AGE = Duration.ofHours(24);
  /** The retention period of 45 CFR 164.316(b)(2). */
  static final long RETENTION_DAYS = 6 * 365 + 2;

  private ComplianceChecks() {}

  /**
   * What the checks look at besides the configuration.
   *
   * @param verification   the ledger verification just run, empty when the ledger could not be read
   * @param lastCheckpoint the newest signed checkpoint
   * @param keyCreated     key name to when its file was written (ledger, token map, checkpoint signing, pseudonym, research)
   * @param tokenMap       whether the encrypted pseudonym map exists (needed for accounting of disclosures)
   * @param alertLog       whether alerts are recorded where the console reads them
   * @param now            the current instant
   */
  public record Evidence(Optional<VerificationReport> verification, Optional<Checkpoint> lastCheckpoint,
      Map<String, Instant> keyCreated, boolean tokenMap, boolean alertLog, Instant now) {
    public Evidence {
      keyCreated = Map.copyOf(keyCreated);
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
    c.add(check("audit-controls", "45 CFR 164.312(b)", "Audit controls", ledgerOk,
        verificationEvidence(evidence), "Run `custos audit verify --ledger <dataDir>/ledger` and investigate every finding;"
            + " restore the ledger from a witness copy if entries were altered."));
    Optional<Duration> checkpointAge = evidence.lastCheckpoint().map(cp -> Duration.between(cp.timestamp(), evidence.now()));
    long unanchored = evidence.verification().map(VerificationReport::unanchored).orElse(0L);
    boolean anchored = evidence.lastCheckpoint().isPresent()
        && (unanchored == 0 || checkpointAge.orElseThrow().compareTo(MAX_CHECKPOINT_AGE) <= 0);
    c.add(check("integrity", "45 CFR 164.312(c)(1)", "Integrity", ledgerOk && anchored,
        List.of("signed checkpoints (Ed25519, C2SP signed notes): " + evidence.verification().map(VerificationReport::checkpoints)
                .map(String::valueOf).orElse("not verified"),
            "newest checkpoint: " + checkpointAge.map(a -> a.toMinutes() + " min old").orElse("none"),
            "entries after it: " + unanchored,
            "writes: two-phase, bound to the SHA-256 of the approved payload" + (policy.readOnly() ? " (read-only mode: writes off)" : "")),
        "Keep the server running so checkpoints are signed (at least daily), and verify the ledger."));
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
    c.add(check("de-identification", "45 CFR 164.514(b)", "De-identification (Safe Harbor)",
        evidence.keyCreated().containsKey("research"),
        List.of("research tools release only Safe Harbor extracts keyed by research.key" + present(evidence, "research"),
            "small cells suppressed; k-anonymity over released attributes"),
        "Start the server once so <dataDir>/keys/research.key is created; keep it apart from the audit keys."));
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
            "pruned entries verified by their kept leaf hashes: " + evidence.verification().map(VerificationReport::pruned)
                .map(String::valueOf).orElse("not verified")),
        "Rotate keys older than " + MAX_KEY_AGE.toDays() + " days (`custos keys rotate`) and verify the ledger."));
    return new ComplianceReport(evidence.now(), version, c);
  }

  private static List<String> verificationEvidence(Evidence e) {
    return e.verification().map(v -> List.of(v.summary(), "findings: " + v.findings().size()))
        .orElse(List.of("the ledger could not be read"));
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
