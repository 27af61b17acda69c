package io.custos.alerting;

import io.custos.config.AlertSettings;
import io.custos.config.ConfigException;
import io.custos.policy.AlertSink;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Builds the alert sinks of the {@code alerts} section: the alert log, then one background delivery per receiver. */
public final class AlertSinks {
  private AlertSinks() {}

  /**
   * @param dataDir  base of relative paths
   * @param observer told of every alert (metrics)
   * @throws ConfigException naming the key whose secret, password or certificate file cannot be read
   */
  public static FanOutSink from(AlertSettings settings, Path dataDir, AlertSink observer, Clock clock) {
    List<AlertSink> sinks = new ArrayList<>();
    sinks.add(new AlertLogFile(settings.logFile(dataDir)));
    RetryingSink.Retry retry = new RetryingSink.Retry(settings.maxAttempts(),
        Duration.ofMillis(settings.initialBackoffMillis()), settings.deadLetterFile(dataDir));
    for (AlertSettings.Webhook w : settings.webhooks()) {
      byte[] secret = read("alerts.webhooks.secretFile", Path.of(w.secretFile()));
      sinks.add(new RetryingSink(new WebhookTransport(URI.create(w.url()), secret, Duration.ofSeconds(w.timeoutSeconds())),
          retry, clock));
    }
    for (AlertSettings.Syslog s : settings.syslog()) {
      sinks.add(new RetryingSink(new SyslogTransport(s.host(), s.port(), trust(s.trustCertificates()),
          s.hostname() != null ? s.hostname() : localHostName(), Duration.ofSeconds(10)), retry, clock));
    }
    for (AlertSettings.Email e : settings.email()) {
      Optional<String> password = Optional.ofNullable(e.passwordFile())
          .map(f -> new String(read("alerts.email.passwordFile", Path.of(f)), java.nio.charset.StandardCharsets.UTF_8).trim());
      sinks.add(new RetryingSink(new SmtpTransport(new SmtpTransport.Settings(e.host(), e.port(), e.startTls(),
          Optional.ofNullable(e.username()), password, e.from(), e.to(), Duration.ofSeconds(10))), retry, clock));
    }
    return new FanOutSink(sinks, observer);
  }

  private static byte[] read(String key, Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(key + ": cannot read " + file.getFileName());
    }
  }

  /**
   * A TLS context trusting the PEM certificates in {@code pemFile} only, or the JDK's default trust when absent.
   *
   * @throws ConfigException when the file holds no readable X.509 certificate
   */
  static SSLContext trust(String pemFile) {
    try {
      if (pemFile == null) {
        return SSLContext.getDefault();
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      try (InputStream in = Files.newInputStream(Path.of(pemFile))) {
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          store.setCertificateEntry("collector-" + i++, c);
        }
        if (i == 0) {
          throw new ConfigException("alerts.syslog.trustCertificates: no certificate in " + Path.of(pemFile).getFileName());
        }
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("alerts.syslog.trustCertificates: cannot load " + e.getClass().getSimpleName());
    }
  }

  private static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "-";
    }
  }
}
