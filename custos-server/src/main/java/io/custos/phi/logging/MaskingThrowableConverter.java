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
 * the stack trace keeps its own line structure. Registered in {@code logback.xml} as {@code %ex}; because it is a
 * throwable converter, Logback does not append its own unmasked stack trace.
 */
public final class MaskingThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return PhiMasker.mask(super.convert(event));
  }

  @Override
  protected String throwableProxyToString(IThrowableProxy tp) {
    return super.throwableProxyToString(new OneLineMessages(tp));
  }

  /** A throwable as Logback sees it, with every message neutralised. */
  private record OneLineMessages(IThrowableProxy delegate) implements IThrowableProxy {
    @Override
    public String getMessage() {
      return LogSafe.neutralize(delegate.getMessage());
    }

    @Override
    public String getOverridingMessage() {
      return LogSafe.neutralize(delegate.getOverridingMessage());
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
      return delegate.getCause() == null ? null : new OneLineMessages(delegate.getCause());
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      IThrowableProxy[] s = delegate.getSuppressed();
      return s == null ? null : Arrays.stream(s).map(OneLineMessages::new).toArray(IThrowableProxy[]::new);
    }

    @Override
    public boolean isCyclic() {
      return delegate.isCyclic();
    }
  }
}
