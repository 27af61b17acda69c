package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.custos.phi.logging.LogSafe;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Log forging (CWE-117): a JSON-RPC method name (or any other client string) holding CR/LF once wrote a forged
 * {@code ERROR} line into the server log, and a name in a method name reached the log unmasked. Under the production
 * logging configuration, no client string can start a log line, and client-chosen method names are not logged.
 */
class LogForgingTest extends RunningServerTestBase {
  /** What an attacker wants to appear as a log record of its own. */
  static final String FORGED = "12:00:00.000 ERROR io.custos.Forged - Canaryname breached";
  /** {@link #FORGED} after CR LF, as JSON string content. */
  static final String INJECTED = "x\\r\\n" + FORGED + "\\u2028" + FORGED + "\\u0085" + FORGED;

  /** The client-controlled strings of a session that tries to forge log lines. */
  static final List<String> ATTACKS = List.of(
      "{\"jsonrpc\":\"2.0\",\"method\":\"" + INJECTED + "\"}",
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/" + INJECTED + "\",\"params\":{\"why\":\"" + INJECTED + "\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":31,\"method\":\"" + INJECTED + "\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":32,\"method\":\"tools/call\",\"params\":{\"name\":\"" + INJECTED + "\",\"arguments\":{}}}",
      "{\"jsonrpc\":\"2.0\",\"id\":33,\"method\":\"prompts/get\",\"params\":{\"name\":\"" + INJECTED + "\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":34,\"method\":\"resources/read\",\"params\":{\"uri\":\"" + INJECTED + "\"}}",
      "{\"jsonrpc\":\"2.0\",\"id\":35,\"result\":{\"x\":\"" + INJECTED + "\"}}");

  @Test
  void neutralizeEscapesLineBreaksControlsSeparatorsAndLoneSurrogates() {
    assertThat(LogSafe.neutralize("a\r\nb\tc")).isEqualTo("a\\r\\nb\\tc");
    assertThat(LogSafe.neutralize("nul\u0000 esc\u001b[31m del\u007f")).isEqualTo("nul\\u0000 esc\\u001B[31m del\\u007F");
    assertThat(LogSafe.neutralize("nel\u0085 c1\u009b ls\u2028 ps\u2029")).isEqualTo("nel\\u0085 c1\\u009B ls\\u2028 ps\\u2029");
    assertThat(LogSafe.neutralize("hi\ud800 lo\udc00 end\ud83d")).isEqualTo("hi\\uD800 lo\\uDC00 end\\uD83D");
    String pairAndAccents = "smile \ud83d\ude00 caf\u00e9 \u00a0";
    assertThat(LogSafe.neutralize(pairAndAccents)).isSameAs(pairAndAccents);
    assertThat(LogSafe.neutralize(null)).isNull();
  }

  @Test
  void productionPatternWritesEveryMessageAndExceptionMessageOnItsOwnLine() throws Exception {
    List<String> rendered;
    try (ProductionLogCapture log = new ProductionLogCapture()) {
      String value = "x\r\n" + FORGED + "\u2028" + FORGED + "\n";
      LoggerFactory.getLogger("io.custos.Anything").warn("value {}", value);
      LoggerFactory.getLogger("io.custos.Anything").error("failed", new IllegalStateException("bad " + value,
          new IllegalArgumentException("cause " + value)));
      // The MCP SDK's loggers print their message template only: arguments are parts of raw client messages.
      LoggerFactory.getLogger("io.modelcontextprotocol.spec.McpStreamableServerSession")
          .warn("No handler registered for notification method: {}", value);
      LoggerFactory.getLogger("io.modelcontextprotocol.spec.McpServerSession")
          .error("Error handling request", new IllegalArgumentException("Cannot deserialize " + value));
      rendered = log.rendered();
    }
    assertThat(rendered).hasSize(4);
    assertThat(rendered.get(3)).contains("java.lang.IllegalArgumentException: [withheld]").doesNotContain("Canaryname")
        .doesNotContain("Cannot deserialize");
    assertThat(rendered.get(0)).endsWith("\n").doesNotContain("Canaryname breached\n").contains("value x\\r\\n12:00:00.000 ERROR");
    assertThat(rendered.get(0).indexOf('\n')).isEqualTo(rendered.get(0).length() - 1);
    assertThat(rendered.get(2)).endsWith("No handler registered for notification method: [withheld]\n").doesNotContain("Canaryname");
    assertNoForgedLine(rendered);
    // The exception's own lines are its first line and stack frames only.
    List<String> exLines = Arrays.asList(rendered.get(1).split("\n"));
    assertThat(exLines.get(1)).startsWith("java.lang.IllegalStateException: bad x\\r\\n12:00:00.000 ERROR");
    assertThat(exLines.subList(2, exLines.size())).allSatisfy(l -> assertThat(l).matches("(\\tat |\\t\\.\\.\\. |Caused by: ).*"));
  }

  @Test
  void forgingAttemptsOverHttpLeaveNoForgedLineAndNoClientMethodName() throws Exception {
    try (ProductionLogCapture log = new ProductionLogCapture()) {
      for (String attack : ATTACKS) {
        HttpResponse<String> r = send(client, session.request(attack).build());
        assertThat(r.body()).as(attack).doesNotContain("Canaryname");
      }
      // initialize with a protocol version the SDK does not know: the SDK logs that version
      send(client, HttpTestSupport.post(server.endpoint(), HttpTestSupport.initializeBody(INJECTED)).build());
      assertAttacksLeftNoTrace(log, "message refused (unknown-method): JSON-RPC error -32601");
    }
  }

  @Test
  void forgingAttemptsOverStdioLeaveNoForgedLineAndNoClientMethodName(@TempDir Path dir) throws Exception {
    try (ProductionLogCapture log = new ProductionLogCapture()) {
      List<String> out = StdioSession.run(dir, UnknownToolTest.caller("clinician", "user/*.rs"), true, ATTACKS.toArray(String[]::new));
      assertThat(String.join("\n", out)).doesNotContain("Canaryname");
      assertAttacksLeftNoTrace(log, "stdio message refused (unknown-method): JSON-RPC error -32601");
    }
  }

  /**
   * No forged line and no canary in the log; the refusals were logged with the placeholder method name.
   *
   * @param refusal the log message of the refused request with an unknown method
   */
  private static void assertAttacksLeftNoTrace(ProductionLogCapture log, String refusal) {
    assertNoForgedLine(log.rendered());
    assertThat(String.join("", log.rendered())).doesNotContain("Canaryname");
    assertThat(log.events()).extracting(ILoggingEvent::getFormattedMessage).contains("notification dropped: unknown-method", refusal);
  }

  /** No line of the log, split at any line break a reader might honour, is the forged record. */
  private static void assertNoForgedLine(List<String> rendered) {
    assertThat(rendered).isNotEmpty();
    for (String text : rendered) {
      for (String line : text.split("\n|\r|\u2028|\u2029|\u0085", -1)) {
        assertThat(line).as("log line").doesNotStartWith("12:00:00.000");
      }
    }
  }
}
