package io.custos.audit.ledger;

import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.KeyTransition;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The signed checkpoints of a ledger that several servers append to (a fleet on one PostgreSQL database), stored
 * beside its entries so that {@code custos audit verify} reads one trail. Every writer checkpoints the tree it has
 * read; the store serialises them so that stored sizes and times never go back (RFC 9162 section 4.10 signed tree
 * heads of one log) and all of them carry the one origin of the ledger.
 */
public interface SharedCheckpoints {

  /** Signs a tree head no earlier than {@code notBefore} (the latest stored checkpoint's time, or the epoch). */
  @FunctionalInterface
  interface Signer {
    Checkpoint sign(Instant notBefore) throws GeneralSecurityException;
  }

  /**
   * The ledger's C2SP origin: the stored one, or {@code proposed} if none is stored yet (the first writer's).
   *
   * @throws IOException if the store is unreachable
   */
  String claimOrigin(String proposed) throws IOException;

  /**
   * Under a lock every writer takes: if {@code treeSize} exceeds the size of the latest stored checkpoint that
   * {@code genuine} accepts, signs with {@code signer} (no earlier than that checkpoint's time), stores the checkpoint
   * and returns it; else returns empty (another writer covered as much).
   *
   * @throws IOException if the store is unreachable (no checkpoint is stored)
   */
  Optional<Checkpoint> publish(long treeSize, java.util.function.Predicate<Checkpoint> genuine, Signer signer)
      throws IOException, GeneralSecurityException;

  /**
   * The newest stored checkpoint that {@code genuine} accepts (its signature verifies). The size and time columns of
   * the table are never trusted: only what a verified signed note says.
   *
   * @throws IOException if the store is unreachable
   */
  Optional<Checkpoint> latest(java.util.function.Predicate<Checkpoint> genuine) throws IOException;

  /**
   * Stores the checkpoint key's transition statements ({@link KeyTransition#entry()}, oldest first) the store lacks,
   * so verifiers of the shared trail follow the key from the one they pinned.
   *
   * @throws io.custos.verify.LedgerCorruptException if the store holds statements {@code transitions} does not start
   *     with (a key directory older than the ledger)
   * @throws IOException if the store is unreachable
   */
  void publishKeyTransitions(List<KeyTransition> transitions) throws IOException;
}
