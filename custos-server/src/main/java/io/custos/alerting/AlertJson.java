package io.custos.alerting;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.policy.AlertSink;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The one JSON rendering of an alert: {@link AlertSink.Alert#document()} as compact UTF-8 JSON (RFC 8259), one line. */
public final class AlertJson {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private AlertJson() {}

  /** The alert's document as one line of JSON (no line breaks: JSON escapes them inside strings). */
  public static String line(AlertSink.Alert alert) {
    return write(alert.document());
  }

  /** UTF-8 bytes of {@link #line}. */
  public static byte[] bytes(AlertSink.Alert alert) {
    return line(alert).getBytes(StandardCharsets.UTF_8);
  }

  static String write(Map<String, Object> document) {
    try {
      return MAPPER.writeValueAsString(document);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("alert document is not serializable", e);
    }
  }
}
