package io.custos.verify;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Outcome of an offline ledger verification.
 *
 * @param entries            entries read
 * @param checkpoints        local checkpoints with valid signatures
 * @param witnessCheckpoints witness checkpoints with valid signatures
 * @param pruned             entries pruned after retention (45 CFR 164.316(b)(2)), verified by their kept leaf hashes
 * @param unanchored         entries after the last checkpoint (not yet covered by a signature)
 * @param origin             the C2SP origin named by the ledger's signed-note checkpoints; empty if it has none
 * @param findings           integrity problems; empty when the ledger verifies
 * @param warnings           benign observations (e.g. a torn tail from a crash)
 * @param elapsed            wall time of the verification
 */
public record VerificationReport(long entries, int checkpoints, int witnessCheckpoints, long pruned, long unanchored,
    Optional<String> origin, List<Finding> findings, List<String> warnings, Duration elapsed) {

  public VerificationReport {
    findings = List.copyOf(findings);
    warnings = List.copyOf(warnings);
  }

  public static Builder builder() {
    return new Builder();
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
        + (pruned > 0 ? ", " + pruned + " pruned" : "") + origin.map(o -> ", origin " + o).orElse("");
    String speed = String.format("%.3f s, %,d entries/s", elapsed.toNanos() / 1e9, rate());
    return (ok() ? "ledger OK: " : "ledger FAILED (" + findings.size() + " problem(s)): ") + counts + "; verified in " + speed;
  }

  /** Builds a report; every count defaults to 0, lists to empty. */
  public static final class Builder {
    private long entries;
    private int checkpoints;
    private int witnessCheckpoints;
    private long pruned;
    private long unanchored;
    private Optional<String> origin = Optional.empty();
    private List<Finding> findings = List.of();
    private List<String> warnings = List.of();
    private Duration elapsed = Duration.ZERO;

    private Builder() {}

    public Builder entries(long v) {
      entries = v;
      return this;
    }

    public Builder checkpoints(int v) {
      checkpoints = v;
      return this;
    }

    public Builder witnessCheckpoints(int v) {
      witnessCheckpoints = v;
      return this;
    }

    public Builder pruned(long v) {
      pruned = v;
      return this;
    }

    public Builder unanchored(long v) {
      unanchored = v;
      return this;
    }

    public Builder origin(Optional<String> v) {
      origin = v;
      return this;
    }

    public Builder findings(List<Finding> v) {
      findings = v;
      return this;
    }

    public Builder warnings(List<String> v) {
      warnings = v;
      return this;
    }

    public Builder elapsed(Duration v) {
      elapsed = v;
      return this;
    }

    public VerificationReport build() {
      return new VerificationReport(entries, checkpoints, witnessCheckpoints, pruned, unanchored, origin, findings, warnings,
          elapsed);
    }
  }
}
