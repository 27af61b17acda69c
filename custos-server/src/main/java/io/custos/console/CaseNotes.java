package io.custos.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The notes people write when they act in the console (closing an alert, reviewing a break-the-glass access). A note
 * may mention a patient, so it never enters the PHI-free ledger: it is encrypted (AES-GCM, the ledger keyset, with
 * the ledger event's id as associated data, so a note cannot be moved to another event) into {@code notes.jsonl} beside
 * the ledger, and the ledger event carries only its SHA-256.
 */
final class CaseNotes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final Aead aead;

  CaseNotes(Path file, Aead aead) {
    this.file = file;
    this.aead = aead;
  }

  /** Stores {@code text} for ledger event {@code eventId}. */
  synchronized void add(String eventId, String text) throws IOException {
    byte[] sealed;
    try {
      sealed = aead.encrypt(text.getBytes(StandardCharsets.UTF_8), eventId.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("note key unusable", e);
    }
    String line = JSON.writeValueAsString(Map.of("event", eventId, "note", Base64.getEncoder().encodeToString(sealed))) + "\n";
    Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
        StandardOpenOption.SYNC);
  }

  /** Every readable note by ledger event id (a note that does not decrypt under its event id is left out). */
  synchronized Map<String, String> all() throws IOException {
    Map<String, String> out = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        try {
          var n = JSON.readTree(line);
          String id = n.path("event").asText();
          out.put(id, new String(aead.decrypt(Base64.getDecoder().decode(n.path("note").asText()),
              id.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
          // a torn or altered line: its event still shows, without the note
        }
      }
    } catch (NoSuchFileException e) {
      return out;
    }
    return out;
  }
}
