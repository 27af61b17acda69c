package io.custos.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.custos.policy.AlertSink;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook against a real HTTP receiver that checks the HMAC-SHA256 signature the way a receiver should (its own
 * {@link Mac}, constant-time comparison) and refuses the first attempts, to prove the retries and the dead letter.
 */
class WebhookTransportTest {
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-webhook".getBytes(StandardCharsets.US_ASCII);

  @TempDir
  Path dir;
  private HttpServer receiver;
  private final AtomicInteger failuresLeft = new AtomicInteger();
  private final AtomicInteger attempts = new AtomicInteger();
  private final List<String> badSignatures = new CopyOnWriteArrayList<>();
  private final LinkedBlockingQueue<String> accepted = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    receiver.createContext("/hook", ex -> {
      try (ex) {
        byte[] body = ex.getRequestBody().readAllBytes();
        attempts.incrementAndGet();
        if (!verified(ex.getRequestHeaders().getFirst(WebhookTransport.SIGNATURE_HEADER), body)) {
          badSignatures.add(String.valueOf(ex.getRequestHeaders().getFirst(WebhookTransport.SIGNATURE_HEADER)));
          ex.sendResponseHeaders(401, -1);
          return;
        }
        if (failuresLeft.getAndDecrement() > 0) {
          ex.sendResponseHeaders(503, -1);
          return;
        }
        accepted.add(new String(body, StandardCharsets.UTF_8));
        ex.sendResponseHeaders(204, -1);
      }
    });
    receiver.start();
  }

  @AfterEach
  void stop() {
    receiver.stop(0);
  }

  private static boolean verified(String header, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
      byte[] expected = ("sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body))).getBytes(StandardCharsets.US_ASCII);
      return header != null && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.US_ASCII));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private RetryingSink sink(byte[] secret, int maxAttempts) {
    URI url = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
    return new RetryingSink(new WebhookTransport(url, secret, Duration.ofSeconds(5)),
        new RetryingSink.Retry(maxAttempts, Duration.ofMillis(5), dir.resolve("dead.jsonl")), Clock.systemUTC());
  }

  @Test
  void aSignedAlertIsRetriedWithBackoffUntilTheReceiverAcceptsIt() throws Exception {
    failuresLeft.set(2);
    AlertSink.Alert a = SinkFixtures.alert("many-patients", AlertSink.Severity.MEDIUM, "billing-7");
    try (RetryingSink s = sink(SECRET, 4)) {
      s.alert(a);
      String body = accepted.poll(10, TimeUnit.SECONDS);
      assertThat(body).isNotNull();
      assertThat(AlertJson.MAPPER.readValue(body, Map.class)).isEqualTo(AlertJson.MAPPER.readValue(AlertJson.line(a), Map.class));
    }
    assertThat(attempts.get()).isEqualTo(3);
    assertThat(badSignatures).isEmpty();
    assertThat(dir.resolve("dead.jsonl")).doesNotExist();
  }

  @Test
  void afterTheLastFailedAttemptTheAlertGoesToTheDeadLetterFile() throws Exception {
    failuresLeft.set(100);
    AlertSink.Alert a = SinkFixtures.alert("repeated-denials", AlertSink.Severity.HIGH, "intern-3");
    try (RetryingSink s = sink(SECRET, 3)) {
      s.alert(a);
      var dead = SinkFixtures.awaitLines(dir.resolve("dead.jsonl"), 1);
      assertThat(dead.get(0)).containsEntry("sink", "webhook").containsEntry("attempts", 3)
          .containsEntry("last_error", "http 503");
      assertThat(((Map<?, ?>) dead.get(0).get("alert")).get("id")).isEqualTo(a.id());
    }
    assertThat(attempts.get()).isEqualTo(3);
    assertThat(accepted).isEmpty();
  }

  @Test
  void aReceiverWithAnotherSecretRejectsTheSignature() throws Exception {
    byte[] wrong = "another-secret-another-secret-another-secret".getBytes(StandardCharsets.US_ASCII);
    try (RetryingSink s = sink(wrong, 1)) {
      s.alert(SinkFixtures.alert("self-access", AlertSink.Severity.LOW, "dr-a"));
      var dead = SinkFixtures.awaitLines(dir.resolve("dead.jsonl"), 1);
      assertThat(dead.get(0)).containsEntry("last_error", "http 401");
    }
    assertThat(badSignatures).singleElement().asString().startsWith("sha256=");
    assertThat(accepted).isEmpty();
  }
}
