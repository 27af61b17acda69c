package io.custos.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.CheckpointKey;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The reliability suites' ledger check: offline verification passes (every leaf, checkpoint signature and root), and
 * every result a client received is in the ledger, with its intent written before it. Clients know the result text;
 * its SHA-256 is the {@code resultSha256} of a {@code RESULT success} event, whose {@code callId} must have an
 * {@code INTENT} event at a lower leaf index.
 */
public final class LedgerAudit {
  private LedgerAudit() {}

  /** What the ledger holds. */
  public record Summary(long entries, int intents, int results, int successes, VerificationReport report) {}

  /**
   * @param dataDir  Custos data directory ({@code ledger/} and {@code keys/} inside)
   * @param received SHA-256 (hex) of every successful tool result a client received
   */
  public static Summary check(Path dataDir, Collection<String> received) throws Exception {
    Path ledger = dataDir.resolve("ledger");
    LocalKeySource keys = LocalKeySource.open(dataDir.resolve("keys"));
    VerificationReport report = LedgerVerifier.verify(ledger, CheckpointKey.read(ledger.resolve(LocalKeySource.PUBLIC_KEY)),
        Optional.empty());
    assertThat(report.findings()).as("verification findings: %s", report.summary()).isEmpty();
    assertThat(report.ok()).as(report.summary()).isTrue();

    Map<String, Long> intentAt = new HashMap<>();
    Map<String, Long> successByHash = new HashMap<>();
    Set<String> resultCallsWithoutIntent = new HashSet<>();
    int[] counts = new int[3];
    long entries = LedgerEvents.forEach(ledger, keys.ledgerAead(), stored -> {
      AuditEvent e = stored.event();
      switch (e.phase()) {
        case INTENT -> {
          counts[0]++;
          intentAt.put(e.callId(), stored.leafIndex());
        }
        case RESULT -> {
          counts[1]++;
          Long intent = intentAt.get(e.callId());
          if (intent == null || intent >= stored.leafIndex()) {
            resultCallsWithoutIntent.add(e.callId());
          }
          if ("success".equals(e.outcome()) && e.resultSha256() != null) {
            counts[2]++;
            successByHash.put(e.resultSha256(), stored.leafIndex());
          }
        }
        case DENIED -> { }
      }
    });
    assertThat(resultCallsWithoutIntent).as("RESULT events without an earlier INTENT").isEmpty();
    Set<String> missing = new HashSet<>(received);
    missing.removeAll(successByHash.keySet());
    assertThat(missing).as("results a client received that the ledger does not hold (of %d received)", received.size()).isEmpty();
    return new Summary(entries, counts[0], counts[1], counts[2], report);
  }
}
