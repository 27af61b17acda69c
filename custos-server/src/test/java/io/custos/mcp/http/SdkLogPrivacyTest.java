package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.client;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad request bodies must not reach the logs: with the PRODUCTION logging configuration ({@code logback.xml}), the
 * MCP SDK's transport would otherwise log the body (or tokens of it) at ERROR when it cannot deserialize a message.
 */
class SdkLogPrivacyTest extends RunningServerTestBase {

  private static String render(ILoggingEvent e) {
    StringBuilder b = new StringBuilder(e.getLoggerName()).append(' ').append(e.getFormattedMessage());
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      b.append(' ').append(t.getMessage());
    }
    return b.toString();
  }

  @Test
  void undeserializableBodiesAreNotLoggedUnderProductionLoggingConfig() throws Exception {
    String patient = HttpTestSupport.fixturePatientIds().get(0);
    List<String> bodies = List.of(
        "{\"patient_id\":\"" + patient + "\",\"note\":\"Canaryname Smith\"}",      // JSON, but not JSON-RPC
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":Canaryname}", // malformed JSON
        "Canaryname " + patient);                                                     // not JSON at all
    List<ILoggingEvent> events;
    try (ProductionLogCapture log = new ProductionLogCapture()) {
      for (String body : bodies) {
        HttpTestSupport.assertJsonRpcError(send(client, session.request(body).build()), 400);
        HttpTestSupport.assertJsonRpcError(send(client, HttpTestSupport.post(server.endpoint(), body).build()), 400);
      }
      events = log.events();
    }
    List<String> lines = events.stream().map(SdkLogPrivacyTest::render).toList();
    assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain(patient).doesNotContain("Canaryname"));
  }
}
