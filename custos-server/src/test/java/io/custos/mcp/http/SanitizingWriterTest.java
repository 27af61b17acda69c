package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.mcp.OutboundErrors;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The response writer of the HTTP transport: however the SDK splits its writes (single characters, arrays, strings,
 * pieces across a newline), each line reaches the client exactly once, and a JSON-RPC error line is replaced by its
 * sanitised form.
 */
class SanitizingWriterTest {
  private static final String ERROR = "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32603,"
      + "\"message\":\"java.lang.IllegalStateException: patient 123 at io.custos.X\"}}";
  private static final String RESULT = "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{\"content\":[{\"type\":\"text\","
      + "\"text\":\"" + "x".repeat(5000) + "\"}]}}";
  private static final String STREAM = "id: 1\nevent: message\ndata: " + ERROR + "\n\nid: 2\nevent: message\ndata: " + RESULT
      + "\n\n";

  @Test
  void everyWaySplitGivesTheSameSanitisedLines() {
    String expected = STREAM.replace(ERROR, OutboundErrors.sanitize(ERROR));
    assertThat(expected).doesNotContain("IllegalStateException").contains(RESULT);
    Random random = new Random(20261129);
    for (int trial = 0; trial < 200; trial++) {
      StringWriter out = new StringWriter();
      ErrorBodyFilter.SanitizingWriter w = new ErrorBodyFilter.SanitizingWriter(new PrintWriter(out));
      for (int i = 0; i < STREAM.length(); ) {
        int n = Math.min(STREAM.length() - i, 1 + random.nextInt(trial % 3 == 0 ? 3 : 400));
        switch (random.nextInt(3)) {
          case 0 -> {
            for (int k = i; k < i + n; k++) {
              w.write(STREAM.charAt(k));
            }
          }
          case 1 -> w.write(STREAM.toCharArray(), i, n);
          default -> w.write(STREAM, i, n);
        }
        i += n;
      }
      w.flush();
      assertThat(out.toString()).as("trial %d", trial).isEqualTo(expected);
    }
  }
}
