package io.custos.alerting;

import io.custos.policy.AlertSink;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * POSTs each alert as {@code application/json} (the alert document) to a webhook. The body is authenticated with
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) under a secret shared with the receiver, sent as
 * {@value #SIGNATURE_HEADER}{@code : sha256=<lowercase hex>}; the receiver recomputes it over the raw body and compares
 * in constant time. The alert's {@code id} is stable across retries, so a receiver deduplicates by it. Any 2xx is
 * accepted; anything else, or no answer within the timeout, is a failed attempt.
 */
public final class WebhookTransport implements AlertTransport {
  /** The signature header. */
  public static final String SIGNATURE_HEADER = "X-Custos-Signature";

  private final URI url;
  private final SecretKeySpec key;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param url     the receiver (https, or http on loopback; checked with the configuration)
   * @param secret  the shared HMAC key, at least 32 bytes
   * @param timeout connect and response timeout of one attempt
   */
  public WebhookTransport(URI url, byte[] secret, Duration timeout) {
    if (secret.length < 32) {
      throw new IllegalArgumentException("webhook secret must be at least 32 bytes");
    }
    this.url = url;
    this.key = new SecretKeySpec(secret, "HmacSHA256");
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @Override
  public String kind() {
    return "webhook";
  }

  @Override
  public void send(AlertSink.Alert alert) throws IOException {
    byte[] body = AlertJson.bytes(alert);
    HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout)
        .header("Content-Type", "application/json")
        .header(SIGNATURE_HEADER, "sha256=" + signature(key.getEncoded(), body))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    HttpResponse<Void> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.discarding());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    if (response.statusCode() / 100 != 2) {
      throw new RetryingSink.DeliveryException("http " + response.statusCode());
    }
  }

  /** Lowercase hex HMAC-SHA256 of {@code body} under {@code secret} (what the receiver recomputes). */
  public static String signature(byte[] secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
