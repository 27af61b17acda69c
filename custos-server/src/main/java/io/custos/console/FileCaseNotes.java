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
import java.util.HashMap;
import java.util.Map;

/** One server's case notes: {@code notes.jsonl} beside the ledger, one sealed note per line, appended durably. */
final class FileCaseNotes implements CaseNotes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;
  private final Aead aead;

  FileCaseNotes(Path file, Aead aead) {
    this.file = file;
    this.aead = aead;
  }

  @Override
  public synchronized void add(String eventId, String text) throws IOException {
    String line = JSON.writeValueAsString(Map.of("event", eventId, "note", CaseNotes.seal(aead, eventId, text))) + "\n";
    Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
        StandardOpenOption.SYNC);
  }

  @Override
  public synchronized Map<String, String> all() throws IOException {
    Map<String, String> out = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        try {
          var n = JSON.readTree(line);
          String id = n.path("event").asText();
          CaseNotes.open(aead, id, n.path("note").asText()).ifPresent(t -> out.put(id, t));
        } catch (IOException | RuntimeException e) {
          // a torn line: its event still shows, without the note
        }
      }
    } catch (NoSuchFileException e) {
      return out;
    }
    return out;
  }
}
