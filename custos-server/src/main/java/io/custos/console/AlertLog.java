package io.custos.console;

import io.custos.policy.AlertSink;
import java.io.IOException;
import java.util.List;

/**
 * Where the console reads the alerts the detection rules raised (45 CFR 164.308(a)(1)(ii)(D) activity review). The
 * alerts are PHI-free ({@link AlertSink.Alert}); what people did about them lives in the audit ledger.
 */
public interface AlertLog {
  /**
   * The most recent alerts, newest first.
   *
   * @param max at most this many (1..10000)
   * @throws IOException when the log cannot be read
   */
  List<AlertSink.Alert> recent(int max) throws IOException;
}
