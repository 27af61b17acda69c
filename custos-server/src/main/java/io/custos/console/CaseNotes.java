package io.custos.console;

import com.google.crypto.tink.Aead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * The notes people write when they act in the console (closing an alert, reviewing a break-the-glass access). A note
 * may mention a patient, so it never enters the PHI-free ledger: it is sealed (AES-GCM under the ledger keyset, with
 * the ledger event's id as associated data, so a note cannot be moved to another event) and the ledger event carries
 * only its SHA-256. One server keeps them in a file beside the ledger ({@link FileCaseNotes}); a fleet in its
 * database ({@link PostgresCaseNotes}), so every replica's console shows them.
 */
public interface CaseNotes {
  /** Stores {@code text} for ledger event {@code eventId}. @throws IOException when it cannot be stored */
  void add(String eventId, String text) throws IOException;

  /** Every readable note by ledger event id (a note that does not open under its event id is left out). */
  Map<String, String> all() throws IOException;

  /** The notes file {@code file} (JSON lines). */
  static CaseNotes file(Path file, Aead aead) {
    return new FileCaseNotes(file, aead);
  }

  /** {@code text} sealed for {@code eventId}, Base64. */
  static String seal(Aead aead, String eventId, String text) throws IOException {
    try {
      return Base64.getEncoder().encodeToString(
          aead.encrypt(text.getBytes(StandardCharsets.UTF_8), eventId.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IOException("note key unusable", e);
    }
  }

  /** The note sealed for {@code eventId}; empty when it does not open (altered, or sealed for another event). */
  static Optional<String> open(Aead aead, String eventId, String sealed) {
    try {
      return Optional.of(new String(aead.decrypt(Base64.getDecoder().decode(sealed), eventId.getBytes(StandardCharsets.UTF_8)),
          StandardCharsets.UTF_8));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
