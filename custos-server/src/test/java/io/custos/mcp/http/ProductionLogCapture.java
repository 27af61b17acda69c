package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.read.ListAppender;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Runs code under the PRODUCTION logging configuration ({@code logback.xml}) and keeps every event, so a test can see
 * both the events and the exact text the production appender writes for them. {@link #close} restores the test
 * configuration.
 */
public final class ProductionLogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private final Encoder<ILoggingEvent> encoder;

  @SuppressWarnings("unchecked")
  public ProductionLogCapture() throws Exception {
    configure("logback.xml");
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    encoder = ((OutputStreamAppender<ILoggingEvent>) root.getAppender("STDERR")).getEncoder();
    events.setContext(ctx);
    events.start();
    root.addAppender(events);
  }

  /** The events logged so far. */
  public List<ILoggingEvent> events() {
    return List.copyOf(events.list);
  }

  /** What the production appender wrote for the events so far, event by event. */
  public List<String> rendered() {
    return events().stream().map(e -> new String(encoder.encode(e), StandardCharsets.UTF_8)).toList();
  }

  @Override
  public void close() throws Exception {
    configure("logback-test.xml");
  }

  private static void configure(String resource) throws Exception {
    URL url = ProductionLogCapture.class.getClassLoader().getResource(resource);
    assertThat(url).as(resource).isNotNull();
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    ctx.reset();
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(ctx);
    joran.doConfigure(url);
  }
}
