package io.custos.verify.checkpoint;

import java.time.Instant;
import java.util.HexFormat;

/**
 * A signed tree head of the ledger (RFC 9162 section 4.10): the ledger held {@link #treeSize()} entries with
 * Merkle root {@link #rootHash()} at {@link #timestamp()}. New checkpoints are C2SP signed notes
 * ({@link NoteCheckpoint}); checkpoints written before that stay readable ({@link LegacyCheckpoint}).
 */
public sealed interface Checkpoint permits NoteCheckpoint, LegacyCheckpoint {

  long treeSize();

  /** @return the RFC 9162 root hash MTH(D[treeSize]), 32 bytes */
  byte[] rootHash();

  /** @return when the checkpoint was signed */
  Instant timestamp();

  /** @return true if this checkpoint carries a valid signature by {@code key} (and names its origin, if pinned) */
  boolean verifiedBy(CheckpointKey key);

  /** @return the checkpoint's text, final line terminator included (a signed note, or one legacy line) */
  String encode();

  /** @return a short description for reports: size, root prefix, time */
  default String describe() {
    return "checkpoint(size " + treeSize() + ", root " + rootHex().substring(0, 16) + "..., " + timestamp() + ")";
  }

  /** @return root hash as lowercase hex */
  default String rootHex() {
    return HexFormat.of().formatHex(rootHash());
  }
}
