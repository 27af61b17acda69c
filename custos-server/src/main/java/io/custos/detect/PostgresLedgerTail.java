package io.custos.detect;

import com.google.crypto.tink.Aead;
import io.custos.audit.AuditEvent;
import io.custos.audit.ledger.AuditEventCodec;
import io.custos.audit.ledger.LedgerEntry;
import io.custos.audit.ledger.LedgerStore;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a shared ledger (the fleet's {@code io.custos.audit.ledger.PostgresLedgerStore}, or any {@link LedgerStore})
 * from its current end: polls for new leaves every {@code interval}, decrypts each under its leaf index (AES-256-GCM,
 * the ledger keyset) and delivers it. Run it on one replica per fleet, so each event is evaluated once. An entry that
 * does not decrypt is skipped and counted, never logged with its content.
 */
public final class PostgresLedgerTail implements AuditEventSource {
  private static final Logger log = LoggerFactory.getLogger(PostgresLedgerTail.class);
  private static final int BATCH = 500;

  private final LedgerStore store;
  private final Aead aead;
  private final Duration interval;
  private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().name("custos-detect-tail").daemon(true).unstarted(r));
  private volatile long next = -1;
  private long undecryptable;

  /**
   * @param store    the shared ledger store (not closed by this tail)
   * @param aead     the ledger keyset's AEAD ({@code KeySource#ledgerAead})
   * @param interval polling interval; 1 s keeps alerts well within 5 s of the call
   */
  public PostgresLedgerTail(LedgerStore store, Aead aead, Duration interval) {
    this.store = store;
    this.aead = aead;
    this.interval = interval;
  }

  @Override
  public void start(Consumer<AuditEvent> listener) {
    poller.scheduleWithFixedDelay(() -> poll(listener), 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads and delivers every leaf appended since the last poll; the first poll only finds the end. */
  void poll(Consumer<AuditEvent> listener) {
    try {
      long size = store.size();
      if (next < 0) {
        next = size;
      }
      while (next < size) {
        List<byte[]> entries = store.read(next, (int) Math.min(BATCH, size - next));
        if (entries.isEmpty()) {
          return;
        }
        for (byte[] bytes : entries) {
          decode(bytes, next).ifPresent(listener);
          next++;
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("ledger tail: poll failed ({}); retrying", e.getClass().getSimpleName());
    }
  }

  private java.util.Optional<AuditEvent> decode(byte[] bytes, long leafIndex) {
    try {
      LedgerEntry entry = LedgerEntry.decode(bytes);
      return java.util.Optional.of(AuditEventCodec.decode(aead.decrypt(entry.ciphertext(), LedgerEntry.associatedData(leafIndex))));
    } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
      undecryptable++;
      log.warn("ledger tail: leaf {} does not decode ({} so far); skipped", leafIndex, undecryptable);
      return java.util.Optional.empty();
    }
  }

  /** The next leaf index to read, or -1 before the first poll. */
  long position() {
    return next;
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
