package io.custos.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.policy.AlertSink;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * Reads a JSON-lines alert log: one {@link AlertSink.Alert#document()} object per line, oldest first (what an
 * appending file sink writes). A missing file has no alerts; a line that does not parse (a torn last line while the
 * sink writes) is skipped.
 */
public final class JsonLinesAlertLog implements AlertLog {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path file;

  /** @param file the JSON-lines file */
  public JsonLinesAlertLog(Path file) {
    this.file = file;
  }

  @Override
  public List<AlertSink.Alert> recent(int max) throws IOException {
    Deque<AlertSink.Alert> last = new ArrayDeque<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        parse(line).ifPresent(a -> {
          last.addFirst(a);
          if (last.size() > max) {
            last.removeLast();
          }
        });
      }
    } catch (NoSuchFileException e) {
      return List.of();
    }
    return new ArrayList<>(last);
  }

  /** One line as an alert, or empty when it is not a complete alert document. */
  static java.util.Optional<AlertSink.Alert> parse(String line) {
    try {
      JsonNode n = JSON.readTree(line);
      return java.util.Optional.of(new AlertSink.Alert(n.path("id").asText(), n.path("rule").asText(),
          AlertSink.Severity.valueOf(n.path("severity").asText().toUpperCase(Locale.ROOT)), n.path("user").asText(),
          strings(n.path("patients")), Instant.parse(n.path("window_start").asText()),
          Instant.parse(n.path("window_end").asText()), n.path("count").asLong(), strings(n.path("evidence")),
          n.path("call_id").asText(null)));
    } catch (IOException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }
}
