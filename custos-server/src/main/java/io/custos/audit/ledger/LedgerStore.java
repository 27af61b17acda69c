package io.custos.audit.ledger;

import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;

/**
 * Durable, append-only storage of encoded {@link LedgerEntry} bytes under a gapless leaf index 0, 1, 2, ...
 * (the RFC 9162 log's entry sequence). The store assigns the indices, so several writers (PostgreSQL) can
 * share one sequence; the encoder receives the assigned index because ciphertexts are bound to it.
 */
public interface LedgerStore extends AutoCloseable {

  /** Produces the entry bytes for the {@code position}-th record of a batch, given its assigned leaf index. */
  @FunctionalInterface
  interface EntryEncoder {
    byte[] encode(int position, long leafIndex) throws GeneralSecurityException;
  }

  /**
   * Appends {@code count} entries as one batch and returns only once all are durable (one fsync or one
   * committed transaction covers the batch: group commit).
   *
   * @return leaf index of the first entry of the batch
   * @throws IOException if the batch is not durable; then none of it is acknowledged
   */
  long append(int count, EntryEncoder encoder) throws IOException, GeneralSecurityException;

  /**
   * Whether a failed {@link #append} leaves nothing behind, so that a later append may be tried (a database
   * transaction that rolled back). False for files: after a failed write or fsync the page cache can no longer be
   * trusted, and the ledger stays failed until restarted.
   */
  default boolean retryableAfterFailure() {
    return false;
  }

  /** @return number of durable entries */
  long size() throws IOException;

  /** Reads up to {@code max} durable entries starting at {@code from}, in index order. */
  List<byte[]> read(long from, int max) throws IOException;

  /**
   * RFC 9162 leaf hashes of up to {@code max} entries starting at {@code from}, in index order. A store that keeps
   * the leaf hashes of entries pruned after retention returns those for them; the default hashes {@link #read}.
   */
  default List<byte[]> readLeafHashes(long from, int max) throws IOException {
    return read(from, max).stream().map(MerkleHash::leaf).toList();
  }

  /** The checkpoints stored with the entries when several servers share this store; empty for a local store. */
  default Optional<SharedCheckpoints> sharedCheckpoints() {
    return Optional.empty();
  }

  @Override
  void close() throws IOException;
}
