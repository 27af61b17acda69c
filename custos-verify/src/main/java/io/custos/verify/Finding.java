package io.custos.verify;

/**
 * One integrity problem found by {@link LedgerVerifier}.
 *
 * @param kind       what was found
 * @param entryIndex the entry concerned, or -1
 * @param checkpoint the checkpoint concerned (1-based line number in its log), or -1
 * @param message    human-readable description naming the entry and checkpoint
 */
public record Finding(Kind kind, long entryIndex, int checkpoint, String message) {

  /** Classes of tampering and damage. */
  public enum Kind {
    EDITED, DELETED, INSERTED, REORDERED, TRUNCATED, ROLLED_BACK, DAMAGED_RECORD, SEGMENT_GAP, BAD_SIGNATURE,
    BAD_CHECKPOINT_LOG, ROOT_MISMATCH,
    /** A pruned range not covered by a signed checkpoint older than its retention period (45 CFR 164.316(b)(2)). */
    PREMATURE_PRUNE,
    /** A checkpoint signed by a checkpoint key outside its validity period (after its retirement, or before its endorsement). */
    RETIRED_KEY,
    /** A checkpoint key transition statement that is malformed, out of order, or not signed by the key it retires. */
    BAD_KEY_TRANSITION,
    /** A pruned-range record whose signature does not verify (forged or altered), or unsigned after signed ones. */
    BAD_PRUNED_RANGE
  }

  @Override
  public String toString() {
    return kind + ": " + message;
  }
}
