package io.custos.audit.ledger;

import com.google.crypto.tink.Aead;
import io.custos.verify.DirectoryLedger;
import io.custos.verify.LedgerCorruptException;
import io.custos.verify.LedgerFiles;
import io.custos.verify.LedgerSource;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * Decrypts the events of a ledger (a directory or a fleet's database; read-only) with the ledger keyset, for export
 * and reporting.
 * Every entry must authenticate under its own leaf index (AES-GCM associated data), so a moved or altered
 * entry fails here too; run {@link LedgerVerifier} first for the full integrity check.
 */
public final class LedgerEvents {
  private LedgerEvents() {}

  /** Receives decrypted events in ledger order. */
  @FunctionalInterface
  public interface Sink {
    void accept(StoredEvent event) throws IOException;
  }

  /**
   * Decrypts one encoded entry that the ledger holds at leaf index {@code index} (AES-GCM, associated data the index).
   *
   * @throws LedgerCorruptException if it does not decrypt under that index: altered, moved or an unknown key
   */
  public static StoredEvent decrypt(byte[] entry, long index, Aead aead) throws IOException {
    byte[] json;
    try {
      json = aead.decrypt(LedgerEntry.decode(entry).ciphertext(), LedgerEntry.associatedData(index));
    } catch (GeneralSecurityException ex) {
      throw new LedgerCorruptException("entry " + index + " does not decrypt under its index: altered, moved or unknown key");
    }
    return new StoredEvent(index, AuditEventCodec.decode(json));
  }

  /** Decrypts every entry in order. @throws LedgerCorruptException if an entry does not decrypt */
  public static long forEach(Path dir, Aead aead, Sink sink) throws IOException {
    return forEach(new DirectoryLedger(dir), aead, 0, sink);
  }

  /** As {@link #forEach(LedgerSource, Aead, long, Sink)} over a ledger directory. */
  public static long forEach(Path dir, Aead aead, long from, Sink sink) throws IOException {
    return forEach(new DirectoryLedger(dir), aead, from, sink);
  }

  /**
   * Decrypts the entries of {@code source} (a directory or a fleet's database) from leaf index {@code from} on that
   * still hold their ciphertext, in order (earlier entries are scanned, not decrypted).
   *
   * @return the number of entries in the ledger
   * @throws LedgerCorruptException if an entry does not decrypt or the scan finds damage
   */
  public static long forEach(LedgerSource source, Aead aead, long from, Sink sink) throws IOException {
    LedgerFiles.ScanResult r = source.scan((i, bytes) -> {
      if (i < from) {
        return;
      }
      sink.accept(decrypt(bytes, i, aead));
    });
    if (!r.findings().isEmpty()) {
      throw new LedgerCorruptException(r.findings().get(0).message());
    }
    return r.entries();
  }
}
