package io.custos.console;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.ledger.KeySource;
import io.custos.audit.ledger.LedgerEvents;
import io.custos.audit.ledger.StoredEvent;
import io.custos.verify.DirectoryLedger;
import io.custos.verify.LedgerSource;
import io.custos.verify.LedgerVerifier;
import io.custos.verify.VerificationReport;
import io.custos.verify.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The console's window on the running server's audit ledger: it reads (decrypts) events, reads signed checkpoints,
 * verifies the ledger offline (45 CFR 164.312(b), (c)) and appends the console's own events through the server's
 * {@link AuditTrail} (the one writer of the ledger).
 */
public final class LedgerView {
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

  private final Path dir;
  private final Source source;
  private final KeySource keys;
  private final AuditTrail trail;
  private final Pseudonyms pseudonyms;

  /**
   * @param dir        this server's ledger directory (the checkpoint key it publishes)
   * @param source     where the ledger's entries and checkpoints are read (the directory, or the fleet's database)
   * @param keys       the ledger keys (decryption)
   * @param trail      the running server's trail, where console events go
   * @param pseudonyms a patient id to its ledger pseudonyms
   */
  public LedgerView(Path dir, Source source, KeySource keys, AuditTrail trail, Pseudonyms pseudonyms) {
    this.dir = dir;
    this.source = source;
    this.keys = keys;
    this.trail = trail;
    this.pseudonyms = pseudonyms;
  }

  /** A single server's view: the ledger directory holds everything. */
  public LedgerView(Path dir, KeySource keys, AuditTrail trail, Pseudonyms pseudonyms) {
    this(dir, () -> new DirectoryLedger(dir), keys, trail, pseudonyms);
  }

  /** Re-identification: the pseudonyms of patient {@code patientId} (the caller audits it). */
  List<String> pseudonymsFor(String patientId) throws IOException {
    return pseudonyms.of(patientId);
  }

  /** Every event in ledger order. @throws IOException when the ledger cannot be read or does not decrypt */
  public List<StoredEvent> events() throws IOException {
    List<StoredEvent> out = new ArrayList<>();
    try (LedgerSource s = source.open()) {
      LedgerEvents.forEach(s, keys.ledgerAead(), 0, out::add);
    } catch (GeneralSecurityException e) {
      throw new IOException("ledger key unusable", e);
    }
    return out;
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
