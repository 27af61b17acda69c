package io.custos.mcp.http;

import static io.custos.mcp.http.HttpTestSupport.client;
import static io.custos.mcp.http.HttpTestSupport.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.net.URL;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Bad request bodies must not reach the logs: with the PRODUCTION logging configuration ({@code logback.xml}), the
 * MCP SDK's transport would otherwise log the body (or tokens of it) at ERROR when it cannot deserialize a message.
 */
class SdkLogPrivacyTest extends RunningServerTestBase {

  private static void configure(String resource) throws Exception {
    URL url = SdkLogPrivacyTest.class.getClassLoader().getResource(resource);
    assertThat(url).as(resource).isNotNull();
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(ctx);
    joran.doConfigure(url);
  }

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
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    try {
      configure("logback.xml");
      LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
      captured.setContext(ctx);
      captured.start();
      ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(captured);
      for (String body : bodies) {
        HttpTestSupport.assertJsonRpcError(send(client, session.request(body).build()), 400);
        HttpTestSupport.assertJsonRpcError(send(client, HttpTestSupport.post(server.endpoint(), body).build()), 400);
      }
    } finally {
      configure("logback-test.xml");
    }
    List<String> lines = captured.list.stream().map(SdkLogPrivacyTest::render).toList();
    assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain(patient).doesNotContain("Canaryname"));
  }
}
