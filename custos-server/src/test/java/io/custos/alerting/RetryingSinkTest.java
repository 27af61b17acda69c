package io.custos.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.policy.AlertSink;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delivery queue is bounded: with the receiver stuck, alerts past the bound are dead-lettered without an attempt. */
class RetryingSinkTest {
  @TempDir
  Path dir;

  @Test
  void alertsBeyondTheBoundGoStraightToTheDeadLetterFile() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger sent = new AtomicInteger();
    AlertTransport stuck = new AlertTransport() {
      @Override
      public String kind() {
        return "stuck";
      }

      @Override
      public void send(AlertSink.Alert alert) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        sent.incrementAndGet();
      }
    };
    Path dead = dir.resolve("dead.jsonl");
    AlertSink.Alert overflow = SinkFixtures.alert("volume", AlertSink.Severity.LOW, "u");
    try (RetryingSink sink = new RetryingSink(stuck, new RetryingSink.Retry(1, Duration.ZERO, dead), Clock.systemUTC())) {
      for (int i = 0; i < RetryingSink.MAX_PENDING; i++) {
        sink.alert(SinkFixtures.alert("volume", AlertSink.Severity.LOW, "u"));
      }
      sink.alert(overflow);
      List<Map<String, Object>> lines = SinkFixtures.awaitLines(dead, 1);
      assertThat(lines).singleElement().satisfies(l -> {
        assertThat(l).containsEntry("last_error", "queue full").containsEntry("attempts", 0);
        assertThat(((Map<?, ?>) l.get("alert")).get("id")).isEqualTo(overflow.id());
      });
      release.countDown();
      SinkFixtures.await(() -> sent.get() == RetryingSink.MAX_PENDING, "the queued alerts were not delivered");
    }
    assertThat(AlertLogFile.read(dead)).hasSize(1);
  }
}
