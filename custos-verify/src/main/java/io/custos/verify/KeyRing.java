package io.custos.verify;

import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import io.custos.verify.checkpoint.KeyTransition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The checkpoint keys of one ledger and when each was valid, built from the key the auditor pinned by following the
 * {@link KeyTransition} statements forward: a statement counts only if it retires the key valid at that point of
 * the chain and carries that key's signature, so trust flows from the pinned key alone (as in TUF root rotation;
 * a compromised later key cannot rewrite what an earlier one endorsed). Key {@code i} is valid from its
 * transition's instant (the pinned key: from the beginning) until the next transition's instant, exclusive.
 *
 * <p>Statements before the last one that endorses the pinned key itself are earlier history the pinned key cannot
 * vouch for (a warning: checkpoints signed before it do not verify with it). Any other statement outside the chain,
 * or not signed by the key it retires, or going back in time, is a {@link Finding.Kind#BAD_KEY_TRANSITION}.
 */
public final class KeyRing {

  /**
   * One key and its validity period {@code [from, until)}.
   *
   * @param key   the key, with the pinned origin if one was pinned
   * @param from  first instant it signs ({@link Instant#MIN} for the pinned key)
   * @param until the instant its successor takes over; empty for the current key
   */
  public record Epoch(CheckpointKey key, Instant from, Optional<Instant> until) {
    boolean covers(Instant t) {
      return !t.isBefore(from) && (until.isEmpty() || t.isBefore(until.get()));
    }

    String describe() {
      return "key " + KeyTransition.id(key.publicKey()) + " (valid " + (from.equals(Instant.MIN) ? "" : "from " + from + " ")
          + until.map(u -> "until " + u).orElse("to date") + ")";
    }
  }

  private final List<Epoch> epochs;
  private final List<Finding> findings;
  private final List<String> warnings;

  private KeyRing(List<Epoch> epochs, List<Finding> findings, List<String> warnings) {
    this.epochs = List.copyOf(epochs);
    this.findings = List.copyOf(findings);
    this.warnings = List.copyOf(warnings);
  }

  /** The ring of a key that was never rotated. */
  public static KeyRing of(CheckpointKey pinned) {
    return build(pinned, KeyTransitions.Contents.none());
  }

  /** Builds the ring from {@code pinned} and the ledger's published statements. */
  public static KeyRing build(CheckpointKey pinned, KeyTransitions.Contents published) {
    List<Finding> findings = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (String p : published.problems()) {
      findings.add(new Finding(Finding.Kind.BAD_KEY_TRANSITION, -1, -1, p));
    }
    List<KeyTransition> ts = published.transitions();
    // The chain is followed forward from the first statement retiring the pinned key. A statement naming the pinned
    // key as the new one can only say that earlier checkpoints were signed by earlier keys, which the pinned key
    // cannot vouch for anyway; read from the chain's start, one placed later (forged) would cut the chain off.
    int start = ts.size();
    for (int i = 0; i < ts.size(); i++) {
      if (KeyTransition.sameKey(ts.get(i).oldKey().publicKey(), pinned.publicKey())) {
        start = i;
        break;
      }
    }
    int endorsingPinned = -1;
    for (int i = 0; i < start; i++) {
      if (KeyTransition.sameKey(ts.get(i).newKey().publicKey(), pinned.publicKey())) {
        endorsingPinned = i;
      }
    }
    if (endorsingPinned >= 0) {
      warnings.add((endorsingPinned + 1) + " key transition(s) precede the pinned key: checkpoints signed before "
          + ts.get(endorsingPinned).from() + " by earlier keys cannot be checked with it (pin the ledger's first key)");
    }
    List<Epoch> epochs = new ArrayList<>();
    CheckpointKey current = pinned;
    Instant currentFrom = Instant.MIN;
    for (int i = start; i < ts.size(); i++) {
      KeyTransition t = ts.get(i);
      String what = "key transition #" + (i + 1) + " (key " + KeyTransition.id(t.oldKey().publicKey()) + " to "
          + KeyTransition.id(t.newKey().publicKey()) + " from " + t.from() + ")";
      if (!KeyTransition.sameKey(t.oldKey().publicKey(), current.publicKey())) {
        findings.add(new Finding(Finding.Kind.BAD_KEY_TRANSITION, -1, -1, what + " retires a key that is not the current"
            + " key " + KeyTransition.id(current.publicKey()) + " of the chain from the pinned key: forged or spliced in"));
      } else if (!t.signedByOldKey()) {
        findings.add(new Finding(Finding.Kind.BAD_KEY_TRANSITION, -1, -1, what + " is not signed by the key it retires:"
            + " forged"));
      } else if (!t.from().isAfter(currentFrom)) {
        findings.add(new Finding(Finding.Kind.BAD_KEY_TRANSITION, -1, -1, what + " does not come after the previous"
            + " transition at " + currentFrom));
      } else {
        epochs.add(new Epoch(current, currentFrom, Optional.of(t.from())));
        current = new CheckpointKey(t.newKey().publicKey(), pinned.origin());
        currentFrom = t.from();
      }
    }
    epochs.add(new Epoch(current, currentFrom, Optional.empty()));
    return new KeyRing(epochs, findings, warnings);
  }

  /** @return every key of the chain with its validity period, oldest first */
  public List<Epoch> epochs() {
    return epochs;
  }

  /** @return problems with the published statements: forged, spliced-in, malformed or out-of-order transitions */
  public List<Finding> findings() {
    return findings;
  }

  /** @return benign observations (statements older than the pinned key) */
  public List<String> warnings() {
    return warnings;
  }

  /** @return the key valid at {@code t} */
  public CheckpointKey keyAt(Instant t) {
    return epochAt(t).key();
  }

  private Epoch epochAt(Instant t) {
    for (Epoch e : epochs) {
      if (e.covers(t)) {
        return e;
      }
    }
    throw new IllegalStateException("epochs cover every instant");
  }

  /** @return true if {@code cp} verifies under the key valid at its timestamp */
  public boolean verifies(Checkpoint cp) {
    return cp.verifiedBy(keyAt(cp.timestamp()));
  }

  /**
   * Checks the signature of checkpoint number {@code number} of a log ({@code where} names the log, e.g.
   * {@code "checkpoint #"}).
   *
   * @return empty if it verifies under the key valid at its timestamp; a {@link Finding.Kind#RETIRED_KEY} finding if
   *     it verifies only under a key of the ring outside that key's period; else {@link Finding.Kind#BAD_SIGNATURE}
   */
  public Optional<Finding> check(Checkpoint cp, int number, String where) {
    Epoch valid = epochAt(cp.timestamp());
    if (cp.verifiedBy(valid.key())) {
      return Optional.empty();
    }
    for (Epoch e : epochs) {
      if (e != valid && cp.verifiedBy(e.key())) {
        boolean retired = e.until().isPresent() && !cp.timestamp().isBefore(e.until().get());
        return Optional.of(new Finding(Finding.Kind.RETIRED_KEY, -1, number, where + number + " (" + cp.describe()
            + ") is signed by " + e.describe() + (retired ? ": a retired key signed after its retirement"
            : ": signed before the key was endorsed") + "; the key valid at its time is " + valid.describe()));
      }
    }
    return Optional.of(new Finding(Finding.Kind.BAD_SIGNATURE, -1, number, where + number + " (" + cp.describe()
        + "): invalid signature: forged or altered checkpoint"));
  }
}
