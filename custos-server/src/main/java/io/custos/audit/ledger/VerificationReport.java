package io.custos.audit.ledger;

import java.time.Duration;
import java.util.List;

/**
 * Outcome of an offline ledger verification.
 *
 * @param entries            entries read
 * @param checkpoints        local checkpoints with valid signatures
 * @param witnessCheckpoints witness checkpoints with valid signatures
 * @param pruned             entries pruned after retention (45 CFR 164.316(b)(2)), verified by their kept leaf hashes
 * @param unanchored         entries after the last checkpoint (not yet covered by a signature)
 * @param findings           integrity problems; empty when the ledger verifies
 * @param warnings           benign observations (e.g. a torn tail from a crash)
 * @param elapsed            wall time of the verification
 */
public record VerificationReport(long entries, int checkpoints, int witnessCheckpoints, long pruned, long unanchored,
    List<Finding> findings, List<String> warnings, Duration elapsed) {

  public VerificationReport {
    findings = List.copyOf(findings);
    warnings = List.copyOf(warnings);
  }

  public boolean ok() {
    return findings.isEmpty();
  }

  /** Entries verified per second. */
  public long rate() {
    long nanos = Math.max(1, elapsed.toNanos());
    return entries * 1_000_000_000L / nanos;
  }

  /** One summary line, e.g. for the CLI. */
  public String summary() {
    String counts = entries + " entries, " + checkpoints + " checkpoints"
        + (witnessCheckpoints > 0 ? " (+" + witnessCheckpoints + " witness)" : "") + ", " + unanchored + " unanchored"
        + (pruned > 0 ? ", " + pruned + " pruned" : "");
    String speed = String.format("%.3f s, %,d entries/s", elapsed.toNanos() / 1e9, rate());
    return (ok() ? "ledger OK: " : "ledger FAILED (" + findings.size() + " problem(s)): ") + counts + "; verified in " + speed;
  }
}
