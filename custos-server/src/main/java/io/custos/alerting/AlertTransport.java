package io.custos.alerting;

import io.custos.policy.AlertSink;
import java.io.IOException;

/** Delivers one alert to one external receiver, blocking until it is accepted; {@link RetryingSink} runs it off the call path. */
public interface AlertTransport extends AutoCloseable {
  /** Short PHI-free name of the kind of receiver ({@code webhook}, {@code syslog}, {@code email}) for logs, metrics and the dead letter. */
  String kind();

  /**
   * Sends the alert once.
   *
   * @throws IOException when the receiver did not accept it (the sink retries)
   */
  void send(AlertSink.Alert alert) throws IOException;

  @Override
  default void close() throws IOException { }
}
