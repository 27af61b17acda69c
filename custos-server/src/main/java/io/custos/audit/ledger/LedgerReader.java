package io.custos.audit.ledger;

import io.custos.verify.checkpoint.Checkpoint;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Read-only range access to a running ledger, for readers inside the server that follow it (the console): the
 * durable entries of its {@link LedgerStore} by leaf index, and the newest checkpoint the ledger signed (held in
 * memory, so not taken from a file that could have been replaced).
 */
public interface LedgerReader {
  /** @return number of durable entries */
  long size() throws IOException;

  /** Up to {@code max} encoded {@link LedgerEntry} records from leaf index {@code from}, in index order. */
  List<byte[]> read(long from, int max) throws IOException;

  /** The newest signed checkpoint (RFC 9162 signed tree head) of this ledger, if one was written or resumed from. */
  Optional<Checkpoint> lastCheckpoint();
}
