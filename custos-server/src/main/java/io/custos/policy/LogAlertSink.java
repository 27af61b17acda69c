package io.custos.policy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link AlertSink} that writes a WARN line to the {@code custos.alerts} logger (kind and event id only). */
public final class LogAlertSink implements AlertSink {
  private static final Logger log = LoggerFactory.getLogger("custos.alerts");

  @Override
  public void alert(String kind, String eventId) {
    log.warn("ALERT {} call={}", kind, eventId);
  }
}
