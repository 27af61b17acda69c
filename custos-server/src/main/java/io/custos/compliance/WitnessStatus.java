package io.custos.compliance;

import io.custos.verify.CheckpointLog;
import io.custos.verify.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The ledger's witness (RFC 9162 section 8.2): a second directory ({@code ledger.witnessDir}) that receives a copy of
 * every signed checkpoint, so that rewriting or rolling back the whole ledger directory is still detected.
 *
 * @param dir      the witness directory; empty when none is configured
 * @param last     the newest checkpoint it holds
 * @param readable whether its checkpoint log could be read
 */
public record WitnessStatus(Optional<Path> dir, Optional<Checkpoint> last, boolean readable) {
  /** No witness configured. */
  public static WitnessStatus none() {
    return new WitnessStatus(Optional.empty(), Optional.empty(), true);
  }

  /** Reads the witness directory's checkpoint log ({@value CheckpointLog#FILE}); a missing log holds nothing yet. */
  public static WitnessStatus read(Optional<Path> dir) {
    if (dir.isEmpty()) {
      return none();
    }
    try {
      List<Checkpoint> all = CheckpointLog.read(dir.get()).checkpoints();
      return new WitnessStatus(dir, all.isEmpty() ? Optional.empty() : Optional.of(all.getLast()), true);
    } catch (IOException | RuntimeException e) {
      return new WitnessStatus(dir, Optional.empty(), false);
    }
  }

  /** One line for people: configured or not, and the newest witnessed checkpoint's size and age at {@code now}. */
  public String describe(Instant now) {
    if (dir.isEmpty()) {
      return "no witness configured (ledger.witnessDir)";
    }
    if (!readable) {
      return "witness configured, its checkpoint log cannot be read";
    }
    return last.map(cp -> "witness configured: last witnessed checkpoint size " + cp.treeSize() + ", "
        + Duration.between(cp.timestamp(), now).toMinutes() + " min old").orElse("witness configured: nothing witnessed yet");
  }
}
