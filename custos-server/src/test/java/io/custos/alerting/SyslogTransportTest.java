package io.custos.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.policy.AlertSink;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 5424 alerts over TLS with RFC 5425 octet counting, received by a real TLS collector. */
class SyslogTransportTest {
  @TempDir
  Path dir;

  @Test
  void alertsArriveAsOctetCountedRfc5424MessagesWithStructuredData() throws Exception {
    try (TlsSyslogReceiver collector = new TlsSyslogReceiver(dir.resolve("collector"));
        RetryingSink sink = new RetryingSink(new SyslogTransport("127.0.0.1", collector.port(),
            AlertSinks.trust(collector.certificatePem().toString()), "custos-test", Duration.ofSeconds(5)),
            new RetryingSink.Retry(2, Duration.ZERO, dir.resolve("dead.jsonl")), Clock.systemUTC())) {
      AlertSink.Alert high = SinkFixtures.alert("volume-above-baseline", AlertSink.Severity.HIGH, "dr-ünal");
      AlertSink.Alert low = SinkFixtures.alert("after-hours", AlertSink.Severity.LOW, "nurse-1");
      sink.alert(high);
      sink.alert(low);

      String first = collector.next();
      // PRI = facility authpriv (10) * 8 + severity error (3); VERSION 1; HOSTNAME; APP-NAME; PROCID nil; MSGID the rule.
      assertThat(first).startsWith("<83>1 2026-11-29T09:05:00.000Z custos-test custos - volume-above-baseline [custosAlert@32473 ");
      assertThat(first).contains("id=\"" + high.id() + "\"", "rule=\"volume-above-baseline\"", "severity=\"high\"",
          "user=\"dr-ünal\"", "patient=\"pt-6f1c2a9b0d3e4f57\"", "patient=\"pt-0a1b2c3d4e5f6071\"", "count=\"42\"",
          "evidence=\"7d0c3f8e-1b2a-4c5d-9e6f-0a1b2c3d4e5f\"", "windowStart=\"2026-11-29T09:00:00Z\"");
      // MSG is the alert document itself.
      Map<?, ?> msg = AlertJson.MAPPER.readValue(first.substring(first.indexOf("] ") + 2), Map.class);
      assertThat(msg.get("id")).isEqualTo(high.id());
      String second = collector.next();
      assertThat(second).startsWith("<85>1 "); // 80 + notice (5)
      assertThat(collector.framingErrors).isEmpty();
    }
    assertThat(dir.resolve("dead.jsonl")).doesNotExist();
  }

  @Test
  void aCollectorWhoseCertificateIsNotTrustedGetsNothingAndTheAlertIsDeadLettered() throws Exception {
    Path otherCert = io.custos.mcp.http.SelfSignedCertificate.loadOrCreate(dir.resolve("other")).certificate();
    try (TlsSyslogReceiver collector = new TlsSyslogReceiver(dir.resolve("collector"));
        RetryingSink sink = new RetryingSink(new SyslogTransport("127.0.0.1", collector.port(),
            AlertSinks.trust(otherCert.toString()), "custos-test", Duration.ofSeconds(5)),
            new RetryingSink.Retry(2, Duration.ofMillis(10), dir.resolve("dead.jsonl")), Clock.systemUTC())) {
      AlertSink.Alert a = SinkFixtures.alert("vip-record", AlertSink.Severity.CRITICAL, "clerk-2");
      sink.alert(a);
      var dead = SinkFixtures.awaitLines(dir.resolve("dead.jsonl"), 1);
      assertThat(dead.get(0)).containsEntry("sink", "syslog").containsEntry("attempts", 2);
      assertThat(((Map<?, ?>) dead.get(0).get("alert")).get("id")).isEqualTo(a.id());
      assertThat(collector.received).isEmpty();
    }
  }
}
