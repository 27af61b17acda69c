package io.custos.phi.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import java.util.Arrays;

/**
 * Logback exception output with {@link PhiMasker} applied: exception messages of libraries (parsers, HTTP
 * clients) may quote the data they failed on. Each exception message (of the cause and suppressed exceptions too)
 * is also put on one line by {@link LogSafe}, so a message cannot add a line that looks like a log record (CWE-117);
 * the stack trace keeps its own line structure. For the MCP SDK's loggers (see {@link MaskingMessageConverter}) the
 * messages are withheld altogether: they quote raw client messages. Registered in {@code logback.xml} as
 * {@code %ex}; because it is a throwable converter, Logback does not append its own unmasked stack trace.
 * (Logback's stack-trace evaluators are not consulted; none is configured.)
 */
public final class MaskingThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    IThrowableProxy tp = event.getThrowableProxy();
    return tp == null ? "" : PhiMasker.mask(throwableProxyToString(new Printable(tp, MaskingMessageConverter.rawMessages(event))));
  }

  /** A throwable as Logback sees it, with every message neutralised, or withheld. */
  private record Printable(IThrowableProxy delegate, boolean withheld) implements IThrowableProxy {
    @Override
    public String getMessage() {
      return printable(delegate.getMessage());
    }

    @Override
    public String getOverridingMessage() {
      return printable(delegate.getOverridingMessage());
    }

    private String printable(String message) {
      return message == null ? null : withheld ? MaskingMessageConverter.WITHHELD : LogSafe.neutralize(message);
    }

    @Override
    public String getClassName() {
      return delegate.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return delegate.getStackTraceElementProxyArray();
    }

    @Override
    public int getCommonFrames() {
      return delegate.getCommonFrames();
    }

    @Override
    public IThrowableProxy getCause() {
      return delegate.getCause() == null ? null : new Printable(delegate.getCause(), withheld);
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] s = delegate.getSuppressed();
      return s == null ? null : Arrays.stream(s).map(t -> new Printable(t, withheld)).toArray(IThrowableProxy[]::new);
    }

    @Override
    public boolean isCyclic() {
      return delegate.isCyclic();
    }
  }
}
