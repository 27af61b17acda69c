package io.custos.compliance;

import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.TokenMap;
import io.custos.verify.CheckpointLog;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Gathers the evidence of a data directory: verifies its ledger, reads its checkpoints and the ages of its keys. */
public final class ComplianceEvidence {
  /** Key name in the report to its file under {@code <dataDir>/keys}. */
  static final Map<String, String> KEY_FILES = Map.of("ledger", LocalKeySource.LEDGER_KEYSET, "token-map",
      LocalKeySource.TOKEN_MAP_KEYSET, "checkpoint", LocalKeySource.SIGNING_KEY, "pseudonym", "pseudonym.key",
      "research", "research.key");

  private ComplianceEvidence() {}

  /**
   * @param dataDir  the server's data directory ({@code ledger/}, {@code keys/})
   * @param alertLog the alert log the console reads
   */
  public static ComplianceChecks.Evidence gather(Path dataDir, Path alertLog, Instant now) {
    Path ledger = dataDir.resolve("ledger");
    Optional<VerificationReport> verification;
    Optional<Checkpoint> last;
    try {
      verification = Optional.of(LedgerVerifier.verify(ledger, io.custos.audit.ledger.CheckpointSigner.firstKey(ledger),
          Optional.empty()));
      List<Checkpoint> all = CheckpointLog.read(ledger).checkpoints();
      last = all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    } catch (IOException | RuntimeException e) {
      verification = Optional.empty();
      last = Optional.empty();
    }
    Map<String, Instant> keys = new LinkedHashMap<>();
    KEY_FILES.forEach((name, file) -> {
      try {
        keys.put(name, Files.getLastModifiedTime(dataDir.resolve("keys").resolve(file)).toInstant());
      } catch (IOException e) {
        // absent: the check names the missing key
      }
    });
    return new ComplianceChecks.Evidence(verification, last, keys, Files.exists(ledger.resolve(TokenMap.FILE)),
        Files.exists(alertLog), now);
  }
}
