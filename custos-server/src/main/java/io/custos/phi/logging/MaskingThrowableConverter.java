package io.custos.phi.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback exception output with {@link PhiMasker} applied: exception messages of libraries (parsers, HTTP
 * clients) may quote the data they failed on. Registered in {@code logback.xml} as {@code %ex}; because it
 * is a throwable converter, Logback does not append its own unmasked stack trace.
 */
public final class MaskingThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return PhiMasker.mask(super.convert(event));
  }
}
