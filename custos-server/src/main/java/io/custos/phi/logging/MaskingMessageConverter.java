package io.custos.phi.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback {@code %msg} with {@link PhiMasker} applied (45 CFR 164.312(e), 164.514(b)(2)). Registered in
 * {@code logback.xml} as {@code <conversionRule conversionWord="msg" .../>}, so every appender pattern that
 * prints the message prints it masked.
 */
public final class MaskingMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return PhiMasker.mask(super.convert(event));
  }
}
