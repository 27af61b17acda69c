package io.custos.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code alerts} section of {@code custos.yaml}: where security alerts go, several receivers at once. The alert log
 * is always written; each webhook, syslog collector and e-mail relay listed also receives every alert, delivered in
 * the background with retries ({@code maxAttempts}, exponential backoff from {@code initialBackoffMillis}) and, after
 * the last failed attempt, a line in the dead-letter file.
 *
 * @param log                  alert log (JSON Lines); relative paths are under {@code dataDir}; default {@code alerts.jsonl}
 * @param deadLetter           undelivered alerts (JSON Lines); relative to {@code dataDir}; default {@code alerts-dead-letter.jsonl}
 * @param maxAttempts          attempts per alert and receiver, 1..20, default 6
 * @param initialBackoffMillis wait before the second attempt (doubled each time), 0..600000, default 2000
 * @param webhooks             JSON webhooks signed with HMAC-SHA256; default none
 * @param syslog               RFC 5424 syslog collectors over TLS (RFC 5425); default none
 * @param email                SMTP relays; default none
 */
public record AlertSettings(String log, String deadLetter, Integer maxAttempts, Integer initialBackoffMillis,
    List<Webhook> webhooks, List<Syslog> syslog, List<Email> email) {

  /**
   * @param url            https URL (plain http only on a loopback host)
   * @param secretFile     file holding the shared HMAC-SHA256 key, at least 32 bytes (owner-only; never logged)
   * @param timeoutSeconds per attempt, 1..60, default 10
   */
  public record Webhook(String url, String secretFile, Integer timeoutSeconds) {}

  /**
   * @param host              collector host
   * @param port              TLS syslog port, default 6514 (RFC 5425)
   * @param trustCertificates PEM file with the collector's certificate or its CA; default the JDK trust store
   * @param hostname          HOSTNAME of the messages; default this machine's host name
   */
  public record Syslog(String host, Integer port, String trustCertificates, String hostname) {}

  /**
   * @param host         SMTP relay
   * @param port         default 587
   * @param startTls     require STARTTLS (RFC 3207); default true
   * @param username     SMTP AUTH user; default none
   * @param passwordFile file holding the SMTP password (owner-only; never logged)
   * @param from         sender address
   * @param to           recipients (the privacy office), at least one
   */
  public record Email(String host, Integer port, Boolean startTls, String username, String passwordFile, String from,
      List<String> to) {}

  /** No receivers beyond the alert log. */
  public static AlertSettings defaults() {
    return new AlertSettings(null, null, null, null, null, null, null).withDefaults();
  }

  /** Fills defaults for absent keys. */
  public AlertSettings withDefaults() {
    return new AlertSettings(log == null ? "alerts.jsonl" : log, deadLetter == null ? "alerts-dead-letter.jsonl" : deadLetter,
        maxAttempts == null ? 6 : maxAttempts, initialBackoffMillis == null ? 2000 : initialBackoffMillis,
        webhooks == null ? List.of() : webhooks.stream()
            .map(w -> new Webhook(w.url(), w.secretFile(), w.timeoutSeconds() == null ? 10 : w.timeoutSeconds())).toList(),
        syslog == null ? List.of() : syslog.stream()
            .map(s -> new Syslog(s.host(), s.port() == null ? 6514 : s.port(), s.trustCertificates(), s.hostname())).toList(),
        email == null ? List.of() : email.stream()
            .map(e -> new Email(e.host(), e.port() == null ? 587 : e.port(), e.startTls() == null || e.startTls(),
                e.username(), e.passwordFile(), e.from(), e.to() == null ? List.of() : e.to())).toList());
  }

  /** The alert log's path: {@link #log} under {@code dataDir} unless absolute. */
  public Path logFile(Path dataDir) {
    return dataDir.resolve(log);
  }

  /** The dead-letter file's path. */
  public Path deadLetterFile(Path dataDir) {
    return dataDir.resolve(deadLetter);
  }

  /** Adds one message per invalid key to {@code errors}. */
  void validate(List<String> errors) {
    if (maxAttempts < 1 || maxAttempts > 20) {
      errors.add("alerts.maxAttempts: must be 1..20");
    }
    if (initialBackoffMillis < 0 || initialBackoffMillis > 600_000) {
      errors.add("alerts.initialBackoffMillis: must be 0..600000");
    }
    for (Webhook w : webhooks) {
      if (!secureUrl(w.url())) {
        errors.add("alerts.webhooks.url: required https URL (plain http only on a loopback host)");
      }
      if (w.secretFile() == null) {
        errors.add("alerts.webhooks.secretFile: required");
      }
      if (w.timeoutSeconds() < 1 || w.timeoutSeconds() > 60) {
        errors.add("alerts.webhooks.timeoutSeconds: must be 1..60");
      }
    }
    for (Syslog s : syslog) {
      if (s.host() == null || s.host().isBlank()) {
        errors.add("alerts.syslog.host: required");
      }
      if (s.port() < 1 || s.port() > 65535) {
        errors.add("alerts.syslog.port: must be 1..65535");
      }
    }
    for (Email e : email) {
      if (e.host() == null || e.host().isBlank()) {
        errors.add("alerts.email.host: required");
      }
      if (e.port() < 1 || e.port() > 65535) {
        errors.add("alerts.email.port: must be 1..65535");
      }
      if (e.from() == null || e.to().isEmpty()) {
        errors.add("alerts.email: from and at least one address in to are required");
      }
      if ((e.username() == null) != (e.passwordFile() == null)) {
        errors.add("alerts.email: username and passwordFile go together");
      }
    }
  }

  private static boolean secureUrl(String value) {
    try {
      URI uri = value == null ? null : URI.create(value);
      return uri != null && ("https".equals(uri.getScheme()) || ("http".equals(uri.getScheme()) && loopback(uri.getHost())));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static boolean loopback(String host) {
    try {
      return host != null && InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
