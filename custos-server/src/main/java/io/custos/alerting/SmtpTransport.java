package io.custos.alerting;

import io.custos.policy.AlertSink;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Sends each alert as a plain-text e-mail (Jakarta Mail over SMTP, RFC 5321) to the privacy office: subject
 * {@code [Custos] <severity> alert: <rule>}, body the alert document as indented JSON plus the command that opens an
 * incident from it. Nothing beyond the PHI-free document is sent. STARTTLS (RFC 3207) is required when
 * {@link Settings#startTls} is set; SMTP authentication is used when a user name is given.
 */
public final class SmtpTransport implements AlertTransport {
  /**
   * @param host     SMTP server
   * @param port     submission port (587 with STARTTLS, 25 on a trusted relay)
   * @param startTls require STARTTLS before any command that carries the message
   * @param username SMTP AUTH user, if the server wants one
   * @param password its password
   * @param from     envelope and header sender
   * @param to       recipients, at least one
   * @param timeout  connect, read and write timeout
   */
  public record Settings(String host, int port, boolean startTls, Optional<String> username, Optional<String> password,
      String from, List<String> to, Duration timeout) {
    public Settings {
      to = List.copyOf(to);
      if (to.isEmpty()) {
        throw new IllegalArgumentException("at least one recipient");
      }
    }
  }

  private final Settings settings;
  private final Session session;

  public SmtpTransport(Settings settings) {
    this.settings = settings;
    Properties p = new Properties();
    p.put("mail.smtp.host", settings.host());
    p.put("mail.smtp.port", Integer.toString(settings.port()));
    String ms = Long.toString(settings.timeout().toMillis());
    p.put("mail.smtp.connectiontimeout", ms);
    p.put("mail.smtp.timeout", ms);
    p.put("mail.smtp.writetimeout", ms);
    p.put("mail.smtp.starttls.enable", Boolean.toString(settings.startTls()));
    p.put("mail.smtp.starttls.required", Boolean.toString(settings.startTls()));
    p.put("mail.smtp.ssl.checkserveridentity", "true");
    p.put("mail.smtp.auth", Boolean.toString(settings.username().isPresent()));
    this.session = Session.getInstance(p);
  }

  @Override
  public String kind() {
    return "email";
  }

  @Override
  public void send(AlertSink.Alert alert) throws IOException {
    try {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(new InternetAddress(settings.from()));
      for (String to : settings.to()) {
        m.addRecipient(Message.RecipientType.TO, new InternetAddress(to));
      }
      m.setSubject("[Custos] " + alert.severity().name().toLowerCase(java.util.Locale.ROOT) + " alert: " + alert.rule(), "UTF-8");
      m.setText(body(alert), "UTF-8");
      if (settings.username().isPresent()) {
        Transport.send(m, settings.username().get(), settings.password().orElse(""));
      } else {
        Transport.send(m);
      }
    } catch (MessagingException e) {
      throw new RetryingSink.DeliveryException("smtp " + e.getClass().getSimpleName());
    }
  }

  static String body(AlertSink.Alert alert) {
    try {
      return AlertJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(alert.document())
          + "\n\nOpen an incident: custos incident open --alert " + alert.id() + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("alert document is not serializable", e);
    }
  }
}
