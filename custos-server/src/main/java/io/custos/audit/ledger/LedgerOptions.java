package io.custos.audit.ledger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Tunables of a {@link MerkleLedger}.
 *
 * @param checkpointInterval how often a signed checkpoint is written when the tree grew (at most 1 s)
 * @param witnessDir         optional second directory that receives a copy of every checkpoint
 * @param maxBatch           largest group-commit batch
 * @param appendTimeout      how long an appender waits for durability before failing closed
 * @param segmentBytes       segment roll-over size of the default store
 * @param historyCheckDelay  after a reopen that resumed from a saved frontier, how long to wait before re-hashing the
 *                           entries before it in the background (so that start-up gets the CPU and disk first)
 */
public record LedgerOptions(Duration checkpointInterval, Optional<Path> witnessDir, int maxBatch, Duration appendTimeout,
    long segmentBytes, Duration historyCheckDelay) {

  public static LedgerOptions defaults() {
    return new LedgerOptions(Duration.ofSeconds(1), Optional.empty(), 4096, Duration.ofSeconds(10),
        SegmentFileStore.DEFAULT_SEGMENT_BYTES, Duration.ofSeconds(10));
  }

  public LedgerOptions withWitness(Path dir) {
    return new LedgerOptions(checkpointInterval, Optional.of(dir), maxBatch, appendTimeout, segmentBytes, historyCheckDelay);
  }

  public LedgerOptions withCheckpointInterval(Duration d) {
    return new LedgerOptions(d, witnessDir, maxBatch, appendTimeout, segmentBytes, historyCheckDelay);
  }

  public LedgerOptions withSegmentBytes(long bytes) {
    return new LedgerOptions(checkpointInterval, witnessDir, maxBatch, appendTimeout, bytes, historyCheckDelay);
  }

  public LedgerOptions withHistoryCheckDelay(Duration d) {
    return new LedgerOptions(checkpointInterval, witnessDir, maxBatch, appendTimeout, segmentBytes, d);
  }
}
