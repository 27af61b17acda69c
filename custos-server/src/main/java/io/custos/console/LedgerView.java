package io.custos.console;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import com.google.crypto.tink.Aead;
import io.custos.audit.ledger.KeySource;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.LedgerReader;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.StoredEvent;
import io.custos.verify.DirectoryLedger;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerSource;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import io.custos.verify.merkle.MerkleFrontier;
import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The console's window on the running server's audit ledger: it reads (decrypts) events, reads signed checkpoints,
 * verifies the ledger offline (45 CFR 164.312(b), (c)) and appends the console's own events through the server's
 * {@link AuditTrail} (the one writer of the ledger).
 *
 * <p>Events are read incrementally: each {@link #events()} reads from the running ledger ({@link LedgerReader}) only
 * the entries appended since the previous call, decrypts each under its own leaf index (AES-GCM associated data) and
 * hashes it into an RFC 9162 Merkle tree frontier; when that tree reaches the size of the ledger's newest signed
 * checkpoint its root must equal the signed root, else nothing is shown and the cache is dropped
 * ({@link LedgerCorruptException}). Memory is bounded: at most {@code capacity} decoded events are kept (the newest,
 * in whole read batches; default {@value #DEFAULT_CAPACITY}, about 1 KiB each), with one 32-byte root per kept batch
 * and the frontier's O(log n) hashes. Older events are decrypted again on each call and must hash to the root
 * recorded when they were first read. Entries pruned after retention (45 CFR 164.316(b)(2)) have no ciphertext: the
 * first read takes their leaf hashes as recorded (the leaf-hash file or column, read once) into the frontier, where
 * the signed root authenticates them, and shows the events from the first entry that still holds its ciphertext.
 */
public final class LedgerView {
  /** Most decoded events kept in memory by default. */
  public static final int DEFAULT_CAPACITY = 50_000;
  /** Most entries read from the store at once. */
  static final int BATCH = 1_000;

  /** A patient id to its ledger pseudonyms (the server's encrypted token map). */
  @FunctionalInterface
  public interface Pseudonyms {
    List<String> of(String patientId) throws IOException;
  }

  /** Opens the ledger for one read: its directory, or a fleet's database. */
  @FunctionalInterface
  public interface Source {
    LedgerSource open() throws IOException;
  }

  /** Decoded events of leaf indices {@code [start, start + events.size())}; {@code rootAtEnd} is MTH of the first {@code end}. */
  private record Batch(long start, List<StoredEvent> events, byte[] rootAtEnd) {
    long end() {
      return start + events.size();
    }
  }

  private final Path dir;
  private final Source source;
  private final LedgerReader reader;
  private final KeySource keys;
  private final AuditTrail trail;
  private final Pseudonyms pseudonyms;
  private final int capacity;
  // guarded by this: the cached suffix [cacheStart, tree.size()), the frontier of every entry read, and MTH(cacheStart)
  private final Deque<Batch> cache = new ArrayDeque<>();
  private int cached;
  private MerkleFrontier tree = new MerkleFrontier();
  private byte[] rootAtCacheStart = MerkleHash.empty();
  // the frontier of the pruned prefix [0, prefix.size()), whose events are gone; empty until the first read
  private Optional<MerkleFrontier> prefix = Optional.empty();

  /**
   * @param dir        this server's ledger directory (the checkpoint key it publishes)
   * @param source     where the ledger's entries and checkpoints are read for verification (the directory, or the
   *                   fleet's database)
   * @param reader     the running ledger's entries by index and its newest signed checkpoint
   * @param keys       the ledger keys (decryption)
   * @param trail      the running server's trail, where console events go
   * @param pseudonyms a patient id to its ledger pseudonyms
   */
  public LedgerView(Path dir, Source source, LedgerReader reader, KeySource keys, AuditTrail trail, Pseudonyms pseudonyms) {
    this(dir, source, reader, keys, trail, pseudonyms, DEFAULT_CAPACITY);
  }

  /** A single server's view: the ledger directory holds everything, {@code ledger} is its running ledger. */
  public LedgerView(Path dir, KeySource keys, MerkleLedger ledger, Pseudonyms pseudonyms) {
    this(dir, () -> new DirectoryLedger(dir), ledger.reader(), keys, ledger, pseudonyms, DEFAULT_CAPACITY);
  }

  /** @param capacity most decoded events kept in memory, at least 1 */
  LedgerView(Path dir, Source source, LedgerReader reader, KeySource keys, AuditTrail trail, Pseudonyms pseudonyms,
      int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.dir = dir;
    this.source = source;
    this.reader = reader;
    this.keys = keys;
    this.trail = trail;
    this.pseudonyms = pseudonyms;
    this.capacity = capacity;
  }

  /** Re-identification: the pseudonyms of patient {@code patientId} (the caller audits it). */
  List<String> pseudonymsFor(String patientId) throws IOException {
    return pseudonyms.of(patientId);
  }

  /**
   * Every event in ledger order, reading only the entries appended since the last call.
   *
   * @throws IOException when the ledger cannot be read, an entry does not decrypt under its index, or the entries do
   *                     not hash to the ledger's signed root ({@link LedgerCorruptException}; the cache is dropped)
   */
  public synchronized List<StoredEvent> events() throws IOException {
    try {
      Aead aead = keys.ledgerAead();
      if (prefix.isEmpty()) {
        prefix = Optional.of(prunedPrefix());
        tree = copy(prefix.get());
        rootAtCacheStart = tree.root();
      }
      follow(aead);
      List<StoredEvent> out = new ArrayList<>();
      long cacheStart = cache.isEmpty() ? tree.size() : cache.peekFirst().start();
      if (cacheStart > prefix.get().size()) {
        reread(cacheStart, aead, out);
      }
      cache.forEach(b -> out.addAll(b.events()));
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("ledger key unusable", e);
    } catch (IOException | RuntimeException e) {
      forget();
      throw e;
    }
  }

  /** Reads, verifies and caches the entries after the frontier, stopping at the newest checkpoint's size to check it. */
  private void follow(Aead aead) throws IOException {
    long size = reader.size();
    if (size < tree.size()) {
      throw new LedgerCorruptException("the ledger holds fewer entries than were read from it: entries were removed");
    }
    Optional<Checkpoint> signed = reader.lastCheckpoint();
    checkSigned(signed);
    while (tree.size() < size) {
      long from = tree.size();
      long end = Math.min(size, from + BATCH);
      if (signed.isPresent() && from < signed.get().treeSize() && signed.get().treeSize() < end) {
        end = signed.get().treeSize();
      }
      List<byte[]> entries = reader.read(from, (int) (end - from));
      if (entries.isEmpty()) {
        throw new IOException("the ledger store returned no entries");
      }
      List<StoredEvent> events = new ArrayList<>(entries.size());
      for (byte[] entry : entries) {
        events.add(LedgerEvents.decrypt(entry, tree.size(), aead));
        tree.add(MerkleHash.leaf(entry));
      }
      checkSigned(signed);
      cache.addLast(new Batch(from, List.copyOf(events), tree.root()));
      cached += events.size();
      while (cached > capacity) {
        Batch oldest = cache.removeFirst();
        cached -= oldest.events().size();
        rootAtCacheStart = oldest.rootAtEnd();
      }
    }
  }

  /** When the frontier is at the signed checkpoint's size, its root must be the signed root. */
  private void checkSigned(Optional<Checkpoint> signed) throws LedgerCorruptException {
    if (signed.isPresent() && tree.size() == signed.get().treeSize()
        && !MessageDigest.isEqual(tree.root(), signed.get().rootHash())) {
      throw new LedgerCorruptException("the entries read do not hash to the ledger's signed root");
    }
  }

  /** The frontier of the entries pruned after retention, from their recorded leaf hashes (empty when none were). */
  private MerkleFrontier prunedPrefix() throws IOException {
    MerkleFrontier pruned = new MerkleFrontier();
    try (LedgerSource s = source.open()) {
      long end = s.prunedRanges().prefixEnd();
      if (end == 0) {
        return pruned;
      }
      List<byte[]> recorded = s.recordedLeafHashes();
      if (recorded.size() < end) {
        throw new LedgerCorruptException("entries 0.." + (end - 1) + " were pruned but their leaf hashes are missing");
      }
      recorded.subList(0, (int) end).forEach(pruned::add);
    }
    return pruned;
  }

  private static MerkleFrontier copy(MerkleFrontier f) {
    return MerkleFrontier.of(f.size(), f.subtrees());
  }

  /** Decrypts the evicted events again (not kept); they must hash to the root recorded when they were first read. */
  private void reread(long end, Aead aead, List<StoredEvent> out) throws IOException {
    MerkleFrontier again = copy(prefix.orElseThrow());
    while (again.size() < end) {
      List<byte[]> entries = reader.read(again.size(), (int) Math.min(BATCH, end - again.size()));
      if (entries.isEmpty()) {
        throw new IOException("the ledger store returned no entries");
      }
      for (byte[] entry : entries) {
        out.add(LedgerEvents.decrypt(entry, again.size(), aead));
        again.add(MerkleHash.leaf(entry));
      }
    }
    if (!MessageDigest.isEqual(again.root(), rootAtCacheStart)) {
      throw new LedgerCorruptException("entries read earlier have changed since");
    }
  }

  private void forget() {
    cache.clear();
    cached = 0;
    tree = new MerkleFrontier();
    rootAtCacheStart = MerkleHash.empty();
    prefix = Optional.empty();
  }

  /** The newest signed checkpoint, if any. */
  public Optional<Checkpoint> lastCheckpoint() throws IOException {
    List<Checkpoint> all;
    try (LedgerSource s = source.open()) {
      all = s.checkpoints().checkpoints();
    }
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Verifies every entry, checkpoint signature and root, as {@code custos audit verify} does. */
  public VerificationReport verify() throws IOException {
    try (LedgerSource s = source.open()) {
      return LedgerVerifier.verify(s, io.custos.audit.ledger.CheckpointSigner.firstKey(dir), Optional.empty());
    }
  }

  /** Appends a console event durably. @throws io.custos.audit.AuditUnavailableException when it cannot */
  public void record(AuditEvent event) {
    trail.append(event);
  }

  Path dir() {
    return dir;
  }

  KeySource keys() {
    return keys;
  }
}
