package io.custos.alerting;

import io.custos.policy.AlertSink;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands every alert to several sinks in order (the alert log first, then the background deliveries), each isolated
 * from the others' failures, and tells an observer (metrics: alerts by rule and severity) once per alert.
 */
public final class FanOutSink implements AlertSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FanOutSink.class);

  private final List<AlertSink> sinks;
  private final AlertSink observer;

  /**
   * @param sinks    where alerts go, in order
   * @param observer told of each alert after the sinks (e.g. a metrics counter); must not block
   */
  public FanOutSink(List<AlertSink> sinks, AlertSink observer) {
    this.sinks = List.copyOf(sinks);
    this.observer = observer;
  }

  public List<AlertSink> sinks() {
    return sinks;
  }

  @Override
  public void alert(Alert alert) {
    for (AlertSink s : sinks) {
      try {
        s.alert(alert);
      } catch (RuntimeException e) {
        log.error("alert {} not handed to {}: {}", alert.id(), s.getClass().getSimpleName(), e.getClass().getName());
      }
    }
    observer.alert(alert);
  }

  /** Closes the sinks that hold threads or connections. */
  @Override
  public void close() {
    for (AlertSink s : sinks) {
      if (s instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          log.warn("alert sink {} did not close cleanly: {}", s.getClass().getSimpleName(), e.getClass().getName());
        }
      }
    }
  }
}
