package io.custos.phi.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback {@code %msg}, made safe to print (45 CFR 164.312(e), 164.514(b)(2); CWE-117). Registered in
 * {@code logback.xml} as {@code <conversionRule conversionWord="msg" .../>}, so every appender pattern that prints
 * the message prints it this way:
 * <ul>
 *   <li>{@link PhiMasker} masks identifier-like values;</li>
 *   <li>{@link LogSafe} escapes line breaks and other control characters, so no value can end the line or forge
 *       another one;</li>
 *   <li>for the MCP SDK's loggers ({@value #RAW_MESSAGE_LOGGERS}), which log parts of raw client messages (method
 *       names, notifications, protocol versions, ids), only the message template is printed: every argument
 *       becomes {@value #WITHHELD}.</li>
 * </ul>
 */
public final class MaskingMessageConverter extends MessageConverter {
  /** Logger name prefix of the library that parses raw MCP messages. */
  static final String RAW_MESSAGE_LOGGERS = "io.modelcontextprotocol";
  /** Printed in place of each argument of those loggers. */
  static final String WITHHELD = "[withheld]";

  @Override
  public String convert(ILoggingEvent event) {
    String message = rawMessages(event) ? template(event.getMessage()) : super.convert(event);
    return LogSafe.neutralize(PhiMasker.mask(message));
  }

  /** Whether the event comes from a logger of the library that parses raw MCP messages. */
  static boolean rawMessages(ILoggingEvent event) {
    return event.getLoggerName() != null && event.getLoggerName().startsWith(RAW_MESSAGE_LOGGERS);
  }

  /** The SLF4J message pattern with each {@code {}} anchor replaced by {@value #WITHHELD}. */
  private static String template(String pattern) {
    return pattern == null ? null : pattern.replace("{}", WITHHELD);
  }
}
