package io.custos.verify;

import io.custos.verify.checkpoint.CheckpointKey;
import java.util.List;
import java.util.Optional;

/**
 * Checks the signatures of {@link PrunedRanges} records: each must verify under the checkpoint key valid at its
 * prune time ({@link KeyRing}) and name the ledger's origin, so a forged record (deleting entries under a made-up
 * prune) or an altered one (a shortened retention, a moved range) is a {@link Finding.Kind#BAD_PRUNED_RANGE}.
 * Records written before pruned ranges were signed carry no signature: a warning, unless a signed record precedes
 * them (a stripped signature).
 */
public final class PrunedRangeSignatures {
  private PrunedRangeSignatures() {}

  /**
   * @param origin the ledger's origin from its checkpoints, required of every record when the pinned key pins none
   */
  public static void check(PrunedRanges.Contents contents, KeyRing ring, Optional<String> origin, List<Finding> findings,
      List<String> warnings) {
    check(contents, ring, origin, false, findings, warnings);
  }

  /**
   * @param signedOnly true for a ledger that never wrote unsigned records (a fleet's database): an unsigned record is
   *                   then a finding, not a warning, and so is a record claiming a prune time in the future
   */
  public static void check(PrunedRanges.Contents contents, KeyRing ring, Optional<String> origin, boolean signedOnly,
      List<Finding> findings, List<String> warnings) {
    boolean signedSeen = false;
    long unsigned = 0;
    for (PrunedRanges.Range r : contents.ranges()) {
      String what = "pruned-range record of entries " + r.first() + ".." + (r.end() - 1) + " (" + r.segment() + ")";
      if (signedOnly && r.prunedAt().isAfter(java.time.Instant.now().plus(java.time.Duration.ofMinutes(5)))) {
        findings.add(new Finding(Finding.Kind.BAD_PRUNED_RANGE, r.first(), -1, what + " claims a prune time in the"
            + " future (" + r.prunedAt() + "): forged"));
      }
      if (r.note().isEmpty()) {
        if (signedSeen || signedOnly) {
          findings.add(new Finding(Finding.Kind.BAD_PRUNED_RANGE, r.first(), -1, what + (signedOnly ? " is unsigned in a ledger"
              + " whose every record is signed" : " is unsigned but follows signed records") + ": forged, or its signature"
              + " was stripped"));
        } else {
          unsigned++;
        }
        continue;
      }
      signedSeen = true;
      CheckpointKey valid = ring.keyAt(r.prunedAt());
      if (!r.verifiedBy(new CheckpointKey(valid.publicKey(), valid.origin().or(() -> origin)))) {
        findings.add(new Finding(Finding.Kind.BAD_PRUNED_RANGE, r.first(), -1, what + " does not verify under the"
            + " checkpoint key valid at its prune time " + r.prunedAt() + " for this ledger's origin: forged or altered"));
      }
    }
    if (unsigned > 0) {
      warnings.add(unsigned + " pruned-range record(s) carry no signature (written before pruned ranges were signed)");
    }
  }
}
