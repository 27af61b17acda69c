package io.custos.compliance;

import io.custos.audit.ledger.CheckpointSigner;
import io.custos.audit.ledger.KeyCreation;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.TokenMap;
import io.custos.phi.scan.PhiScanResult;
import io.custos.verify.DirectoryLedger;
import io.custos.verify.LedgerSource;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Gathers the evidence of a server: verifies its ledger (its directory, or a fleet's database), reads its checkpoints,
 * its witness, the ages of its keys, the last PHI scan and, when given, JUnit test reports.
 */
public final class ComplianceEvidence {
  /** Key name in the report to its file under {@code <dataDir>/keys}. */
  static final Map<String, String> KEY_FILES = Map.of("ledger", LocalKeySource.LEDGER_KEYSET, "token-map",
      LocalKeySource.TOKEN_MAP_KEYSET, "checkpoint", LocalKeySource.SIGNING_KEY, "pseudonym", "pseudonym.key",
      "research", "research.key");

  private ComplianceEvidence() {}

  /** Opens the ledger for one read. */
  @FunctionalInterface
  public interface LedgerOpener {
    LedgerSource open() throws IOException;
  }

  /** Reads the latest PHI scan of each replica (one for a single server). */
  @FunctionalInterface
  public interface PhiScans {
    List<PhiScanResult> latest() throws IOException;
  }

  /**
   * Where the evidence is.
   *
   * @param dataDir     the server's data directory ({@code ledger/} with the checkpoint key, {@code keys/}, the PHI scan result)
   * @param keysDir     the key directory
   * @param alertLog    the alert log the console reads
   * @param ledger      opens the ledger: its directory, or a fleet's database
   * @param fleet       whether the ledger and token map live in a fleet's database
   * @param witness     the witness directory, when one is configured
   * @param testReports directories of JUnit XML reports; none by default
   * @param phiScans    where the latest PHI scans are kept: {@code <dataDir>/phi-scan.json}, or a fleet's database
   *                    (one per replica)
   */
  public record Sources(Path dataDir, Path keysDir, Path alertLog, LedgerOpener ledger, boolean fleet,
      Optional<Path> witness, List<Path> testReports, PhiScans phiScans) {
    public Sources {
      testReports = List.copyOf(testReports);
    }

    /** One server: ledger and keys in {@code dataDir}, no witness, no test reports. */
    public static Sources of(Path dataDir, Path alertLog) {
      return new Sources(dataDir, dataDir.resolve("keys"), alertLog, () -> new DirectoryLedger(dataDir.resolve("ledger")),
          false, Optional.empty(), List.of(), () -> PhiScanResult.load(dataDir).stream().toList());
    }

    /** These sources with the ledger and every replica's latest PHI scan read from a fleet's databases. */
    public Sources withFleet(LedgerOpener database, SharedEvidence evidence) {
      return new Sources(dataDir, keysDir, alertLog, database, true, witness, testReports, evidence::latestPhiScans);
    }

    public Sources withKeysDir(Path dir) {
      return new Sources(dataDir, dir, alertLog, ledger, fleet, witness, testReports, phiScans);
    }

    public Sources withWitness(Optional<Path> dir) {
      return new Sources(dataDir, keysDir, alertLog, ledger, fleet, dir, testReports, phiScans);
    }

    public Sources withTestReports(List<Path> dirs) {
      return new Sources(dataDir, keysDir, alertLog, ledger, fleet, witness, dirs, phiScans);
    }
  }

  /** One server's evidence in {@code dataDir}. */
  public static ComplianceChecks.Evidence gather(Path dataDir, Path alertLog, Instant now) {
    return gather(Sources.of(dataDir, alertLog), now);
  }

  /**
   * @throws java.io.UncheckedIOException never: unreadable evidence is reported as missing, and the checks fail on it
   */
  public static ComplianceChecks.Evidence gather(Sources s, Instant now) {
    Path ledgerDir = s.dataDir().resolve("ledger");
    ComplianceChecks.Evidence.Builder b = ComplianceChecks.Evidence.builder(now);
    try (LedgerSource source = s.ledger().open()) {
      b.verification(LedgerVerifier.verify(source, CheckpointSigner.firstKey(ledgerDir), s.witness()));
      List<Checkpoint> all = source.checkpoints().checkpoints();
      if (!all.isEmpty()) {
        b.lastCheckpoint(all.getLast());
      }
    } catch (IOException | RuntimeException e) {
      // unreadable: the checks say the ledger could not be read
    }
    Map<String, Instant> recorded;
    try {
      recorded = KeyCreation.read(s.keysDir());
    } catch (IOException | RuntimeException e) {
      recorded = Map.of();
    }
    Map<String, Instant> keys = new LinkedHashMap<>();
    Set<String> fromFileTimes = new HashSet<>();
    for (var k : KEY_FILES.entrySet()) {
      Path file = s.keysDir().resolve(k.getValue());
      if (!Files.exists(file)) {
        continue; // absent: the check names the missing key
      }
      if (recorded.containsKey(k.getValue())) {
        keys.put(k.getKey(), recorded.get(k.getValue()));
      } else {
        try {
          keys.put(k.getKey(), Files.getLastModifiedTime(file).toInstant());
          fromFileTimes.add(k.getKey());
        } catch (IOException e) {
          // vanished meanwhile: reported missing
        }
      }
    }
    b.keys(keys, fromFileTimes);
    b.tokenMap(s.fleet() || Files.exists(ledgerDir.resolve(TokenMap.FILE)));
    b.alertLog(s.fleet() || Files.exists(s.alertLog()));
    b.witness(WitnessStatus.read(s.witness()));
    try {
      b.phiScans(s.phiScans().latest());
    } catch (IOException | RuntimeException e) {
      // an unreadable result counts as none, and the checks fail on none
    }
    List<TestReports.Group> groups = new ArrayList<>();
    for (Path dir : s.testReports()) {
      try {
        groups.add(TestReports.read(dir));
      } catch (IOException e) {
        groups.add(TestReports.Group.unreadable(dir.toString()));
      }
    }
    b.testResults(groups);
    return b.build();
  }
}
