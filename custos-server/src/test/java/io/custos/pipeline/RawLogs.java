package io.custos.pipeline;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Keeps every log event while open, for a PHI log scan: each event raw, its message and its stack trace. */
final class RawLogs implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();

  RawLogs() {
    events.start();
    root.addAppender(events);
  }

  /** Runs {@code run} while keeping the log, then checks every event raw with {@code eachEvent}; returns what it returned. */
  static <T> T scanned(java.util.function.Supplier<T> run, java.util.function.Consumer<String> eachEvent) {
    List<String> logged;
    T result;
    try (RawLogs logs = new RawLogs()) {
      result = run.get();
      logged = logs.lines();
    }
    logged.forEach(eachEvent);
    return result;
  }

  /** Every event logged so far: its logger's name, its formatted message, then its stack trace if it has one. */
  List<String> lines() {
    return events.list.stream().map(e -> e.getLoggerName() + " " + e.getFormattedMessage()
        + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()))).toList();
  }

  @Override
  public void close() {
    root.detachAppender(events);
  }
}
