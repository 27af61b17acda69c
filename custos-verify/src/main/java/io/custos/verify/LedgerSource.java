package io.custos.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a ledger's durable parts are read from, for the offline tools (verify, prove, export, report): a directory
 * of segment files ({@link DirectoryLedger}) or a PostgreSQL database shared by a fleet ({@link JdbcLedger}). Both
 * hold the same things: the entries under a gapless leaf index, the kept leaf hash of every entry whose ciphertext
 * was pruned after retention, the signed checkpoints and the pruned-range records. Read-only; never needs a key.
 */
public interface LedgerSource extends AutoCloseable {

  /**
   * Opens {@code location}: a {@code jdbc:postgresql:} URL (credentials in the URL or in the {@code PGUSER} and
   * {@code PGPASSWORD} environment variables; the JDBC driver must be on the class path) or a directory.
   *
   * @throws IOException if it is neither a reachable database nor an existing directory
   */
  static LedgerSource open(String location) throws IOException {
    if (location.startsWith("jdbc:")) {
      return JdbcLedger.connect(location);
    }
    Path dir = Path.of(location);
    if (!Files.isDirectory(dir)) {
      throw new IOException("no ledger directory at " + dir.toAbsolutePath().normalize());
    }
    return new DirectoryLedger(dir);
  }

  /** A short, credential-free name for messages: the directory, or the database without user or password. */
  String describe();

  /** RFC 9162 leaf hashes of every entry in index order into {@code out} (kept hashes for pruned entries). */
  LedgerFiles.ScanResult leafHashes(List<byte[]> out) throws IOException;

  /** Streams every entry that still has its ciphertext, in index order; stops at the first damaged record. */
  LedgerFiles.ScanResult scan(LedgerFiles.EntryVisitor visitor) throws IOException;

  /** The signed checkpoints in the order they were written. */
  CheckpointLog.Contents checkpoints() throws IOException;

  /**
   * Leaf hashes recorded when each entry was written (the leaf-hash file, or the database's leaf-hash column):
   * compared with the recomputed ones they name the exact entry an edit touched. Possibly shorter than the ledger.
   */
  List<byte[]> recordedLeafHashes() throws IOException;

  /** The pruned-range records (45 CFR 164.316(b)(2) retention). */
  PrunedRanges.Contents prunedRanges() throws IOException;

  /**
   * The checkpoint key's transition statements ({@link KeyTransitions}), oldest first. A source that does not store
   * them reads none: checkpoints signed by a rotated key then fail verification (fail closed).
   */
  default KeyTransitions.Contents keyTransitions() throws IOException {
    return KeyTransitions.Contents.none();
  }

  /**
   * Whether running writers checkpoint this ledger continuously and every pruned-range record is signed (a fleet's
   * database): then entries long past the newest checkpoint, or an unsigned range, mean tampering, not an old format.
   */
  default boolean continuouslyCheckpointed() {
    return false;
  }

  @Override
  void close() throws IOException;
}
