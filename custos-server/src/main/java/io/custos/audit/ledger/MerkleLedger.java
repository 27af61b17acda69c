package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.AuditUnavailableException;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.checkpoint.CheckpointKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tamper-evident, encrypted audit trail (HIPAA 45 CFR 164.312(b) audit controls, 164.312(c) integrity,
 * 164.312(a)(2)(iv) encryption). Each event is serialized to JSON, encrypted with Tink AES-256-GCM (associated
 * data = its leaf index) and appended to a {@link LedgerStore}; entries are the leaves of an RFC 9162 Merkle
 * tree whose signed roots ({@link Checkpoint}) are written at least every {@link LedgerOptions#checkpointInterval}
 * and on close.
 *
 * <p>Group commit: appenders hand their event to one committer thread, which writes everything queued so far
 * as one batch with one fsync; {@link #append} returns only after its batch is durable and throws
 * {@link AuditUnavailableException} otherwise. After a store failure the ledger stays failed (fail closed):
 * after an fsync error the page cache can no longer be trusted; a restart recovers. A store whose failed batches
 * leave nothing behind ({@link LedgerStore#retryableAfterFailure()}, PostgreSQL) refuses only the failed batch.
 *
 * <p>Reopening: the tree resumes from the frontier saved with the last signed checkpoint once the signature and root
 * authenticate it, and only the entries after that checkpoint are read at start (see {@link Checkpointer}); a
 * low-priority daemon thread then re-hashes the older entries against the signed root ({@link HistoryCheck}) and,
 * on a mismatch or an unreadable entry, fails the ledger closed as a mismatch found at start would have
 * ({@link #accepting()} turns false, so readiness reports the ledger down).
 */
public final class MerkleLedger implements AuditTrail {
  private static final Logger log = LoggerFactory.getLogger(MerkleLedger.class);

  private record Pending(String eventId, byte[] plaintext, CompletableFuture<Long> done) {}

  private final LedgerStore store;
  private final Aead aead;
  private final Checkpointer checkpointer;
  private final LedgerOptions options;
  private final Path checkpointDir;
  private final CompletableFuture<HistoryCheck.Outcome> history = new CompletableFuture<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private Optional<Thread> historyThread = Optional.empty();
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread committer;
  private final ScheduledExecutorService scheduler;
  private volatile Throwable failure;
  private volatile boolean closed;

  private MerkleLedger(LedgerStore store, Aead aead, Checkpointer checkpointer, LedgerOptions options, Path checkpointDir) {
    this.store = store;
    this.aead = aead;
    this.checkpointer = checkpointer;
    this.options = options;
    this.checkpointDir = checkpointDir;
    this.committer = Thread.ofPlatform().name("custos-ledger-commit").daemon(true).unstarted(this::commitLoop);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("custos-ledger-checkpoint")
        .daemon(true).unstarted(r));
  }

  /**
   * Opens the ledger in {@code dataDir} with the default segment-file store and options. This is the call
   * for the composition root: {@code MerkleLedger.open(dataDir.resolve("ledger"), LocalKeySource.openOrCreate(dataDir.resolve("keys")))}.
   */
  public static MerkleLedger open(Path dataDir, KeySource keys) throws IOException {
    return open(dataDir, keys, LedgerOptions.defaults());
  }

  /** Opens the ledger in {@code dataDir} with the segment-file store. */
  public static MerkleLedger open(Path dataDir, KeySource keys, LedgerOptions options) throws IOException {
    SegmentFileStore store = SegmentFileStore.open(dataDir, options.segmentBytes());
    if (store.truncatedTornBytes() > 0) {
      log.warn("ledger recovered from a crash: {} bytes of an unacknowledged batch truncated", store.truncatedTornBytes());
    }
    try {
      return open(store, dataDir, keys, options, Clock.systemUTC());
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /**
   * Opens a ledger over any store; checkpoints, leaf hashes and the exported public key (PEM, and the C2SP verifier
   * key {@link CheckpointSigner#VKEY_FILE}) live in {@code checkpointDir}.
   */
  public static MerkleLedger open(LedgerStore store, Path checkpointDir, KeySource keys, LedgerOptions options, Clock clock)
      throws IOException {
    try {
      Files.createDirectories(checkpointDir);
      Path pem = checkpointDir.resolve(LocalKeySource.PUBLIC_KEY);
      String exported = CheckpointKey.toPem(keys.checkpointPublicKey());
      if (!Files.exists(pem) || !Files.readString(pem).equals(exported)) {
        Files.writeString(pem, exported);
      }
      CheckpointSigner signer = CheckpointSigner.forLedger(checkpointDir, store.sharedCheckpoints(), keys);
      Checkpointer cp = Checkpointer.open(store, checkpointDir, options.witnessDir(), signer, clock);
      MerkleLedger ledger = new MerkleLedger(store, keys.ledgerAead(), cp, options, checkpointDir);
      ledger.start();
      return ledger;
    } catch (GeneralSecurityException e) {
      throw new IOException("ledger keys unusable: " + e.getClass().getSimpleName(), e);
    }
  }

  private void start() {
    committer.start();
    long ms = options.checkpointInterval().toMillis();
    scheduler.scheduleAtFixedRate(this::checkpointQuietly, ms, ms, TimeUnit.MILLISECONDS);
    Optional<Checkpoint> resumed = checkpointer.resumedFrom();
    if (resumed.isEmpty()) {
      history.complete(HistoryCheck.Outcome.VERIFIED); // every entry was checked at open
      return;
    }
    historyThread = Optional.of(Thread.ofPlatform().name("custos-ledger-history").daemon(true)
        .priority(Thread.MIN_PRIORITY).start(() -> checkHistory(resumed.get())));
  }

  /** Runs {@link HistoryCheck} after {@link LedgerOptions#historyCheckDelay}; fails the ledger closed unless it verifies. */
  private void checkHistory(Checkpoint signed) {
    try {
      if (closing.await(options.historyCheckDelay().toMillis(), TimeUnit.MILLISECONDS)) {
        history.complete(HistoryCheck.Outcome.CANCELLED);
        return;
      }
      HistoryCheck.Outcome outcome = HistoryCheck.run(store, checkpointDir, signed, () -> closed);
      if (outcome == HistoryCheck.Outcome.MISMATCH) {
        failure = new LedgerCorruptException("ledger entries do not match signed " + signed
            + ": entries were edited, deleted, inserted or reordered. Run: custos audit verify --ledger <dir>");
        log.error("audit ledger entries before the resumed checkpoint (size {}) do not match its signed root; refusing "
            + "further appends (fail closed). Run: custos audit verify", signed.treeSize());
      } else if (outcome == HistoryCheck.Outcome.VERIFIED) {
        log.info("audit ledger history verified in the background: {} entries match the signed checkpoint", signed.treeSize());
      }
      history.complete(outcome);
    } catch (InterruptedException e) {
      history.complete(HistoryCheck.Outcome.CANCELLED);
    } catch (IOException | RuntimeException e) {
      if (closed) {
        history.complete(HistoryCheck.Outcome.CANCELLED);
        return;
      }
      failure = e;
      log.error("audit ledger history check could not read the entries; refusing further appends (fail closed): {}",
          e.getClass().getName());
      history.completeExceptionally(e);
    }
  }

  /**
   * The background check of the entries a reopen did not read: completes {@code VERIFIED} at once when the open read
   * them all, else when {@link HistoryCheck} ends (exceptionally if the entries could not be read).
   */
  CompletableFuture<HistoryCheck.Outcome> historyCheck() {
    return history;
  }

  @Override
  public void append(AuditEvent event) {
    appendForIndex(event);
  }

  /**
   * Appends durably and returns the event's leaf index.
   *
   * @throws AuditUnavailableException if the event is not durable
   */
  public long appendForIndex(AuditEvent event) {
    return await(enqueue(event));
  }

  /** Queues the event for the next group commit; durability is awaited separately (same order as appended). */
  @Override
  public AuditTrail.Pending appendAsync(AuditEvent event) {
    CompletableFuture<Long> done = enqueue(event);
    return () -> await(done);
  }

  private CompletableFuture<Long> enqueue(AuditEvent event) {
    if (closed || failure != null) {
      throw new AuditUnavailableException(failure != null ? failure : new IllegalStateException("ledger closed"));
    }
    Pending p = new Pending(event.eventId(), AuditEventCodec.encode(event), new CompletableFuture<>());
    queue.add(p);
    return p.done();
  }

  private long await(CompletableFuture<Long> done) {
    try {
      return done.get(options.appendTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AuditUnavailableException(e);
    } catch (ExecutionException e) {
      throw new AuditUnavailableException(e.getCause());
    } catch (TimeoutException e) {
      throw new AuditUnavailableException(e);
    }
  }

  private void commitLoop() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      try {
        Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed) {
            return;
          }
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, options.maxBatch() - 1);
        commit(batch);
      } catch (InterruptedException e) {
        failAll(batch, e);
        return;
      }
      batch.clear();
    }
  }

  private void commit(List<Pending> batch) {
    if (failure != null) {
      failAll(batch, failure);
      return;
    }
    try {
      long first = store.append(batch.size(), (i, index) -> {
        Pending p = batch.get(i);
        return new LedgerEntry(p.eventId(), aead.encrypt(p.plaintext(), LedgerEntry.associatedData(index))).encode();
      });
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).done().complete(first + i);
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      if (store.retryableAfterFailure() && !(e instanceof GeneralSecurityException)) {
        // e.g. the database is down: this batch is refused (its callers fail closed) and nothing of it was stored;
        // later batches are tried again, so appends resume when the store is back.
        log.error("audit ledger append failed; refusing this batch (fail closed): {}", e.getClass().getName());
      } else {
        failure = e;
        log.error("audit ledger failed; refusing further appends (fail closed): {}", e.getClass().getName());
      }
      failAll(batch, e);
    }
  }

  private static void failAll(List<Pending> batch, Throwable t) {
    for (Pending p : batch) {
      p.done().completeExceptionally(t);
    }
  }

  private void checkpointQuietly() {
    try {
      checkpointer.checkpoint(false);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      log.error("ledger checkpoint failed: {}", e.getClass().getName());
    }
  }

  /** Read-only access to the durable entries and the newest signed checkpoint (for in-server readers). */
  public LedgerReader reader() {
    return new LedgerReader() {
      @Override
      public long size() throws IOException {
        return store.size();
      }

      @Override
      public List<byte[]> read(long from, int max) throws IOException {
        return store.read(from, max);
      }

      @Override
      public Optional<Checkpoint> lastCheckpoint() {
        return Optional.ofNullable(checkpointer.last());
      }
    };
  }

  /** Writes a signed checkpoint now (if the tree grew) and returns the latest one. */
  public Optional<Checkpoint> checkpointNow() throws IOException {
    try {
      checkpointer.checkpoint(false);
      return Optional.ofNullable(checkpointer.last());
    } catch (GeneralSecurityException e) {
      throw new IOException("checkpoint signing failed", e);
    }
  }

  /** @return number of durable entries */
  /** False once the ledger is closed or its store has failed (then every append is refused). */
  @Override
  public boolean accepting() {
    return !closed && failure == null;
  }

  public long size() throws IOException {
    return store.size();
  }

  /** Stops accepting events, commits what is queued, writes a final checkpoint and closes the store. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closing.countDown();
    try {
      committer.join(options.appendTimeout().toMillis());
      if (historyThread.isPresent()) {
        historyThread.get().join(options.appendTimeout().toMillis()); // it stops at its next batch
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      checkpointer.checkpoint(false);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      log.error("final ledger checkpoint failed: {}", e.getClass().getName());
    }
    try {
      checkpointer.close();
    } catch (IOException e) {
      log.warn("ledger checkpoint files did not close cleanly: {}", e.getClass().getName());
    }
    try {
      store.close();
    } catch (IOException e) {
      log.warn("ledger store did not close cleanly: {}", e.getClass().getName());
    }
  }
}
