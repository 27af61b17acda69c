package io.custos.alerting;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.custos.policy.AlertSink;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** E-mail alerts through a real SMTP server (GreenMail), with SMTP AUTH. */
class SmtpTransportTest {
  @TempDir
  Path dir;

  @Test
  void theAlertReachesThePrivacyOfficeMailbox() throws Exception {
    GreenMail smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
    smtp.setUser("custos@hospital.test", "custos", "relay-password");
    smtp.start();
    try {
      int port = smtp.getSmtp().getPort();
      AlertSink.Alert a = SinkFixtures.alert("deceased-patient", AlertSink.Severity.HIGH, "dr-b");
      try (RetryingSink sink = new RetryingSink(new SmtpTransport(new SmtpTransport.Settings("127.0.0.1", port, false,
          Optional.of("custos"), Optional.of("relay-password"), "custos@hospital.test",
          List.of("privacy@hospital.test", "security@hospital.test"), Duration.ofSeconds(5))),
          new RetryingSink.Retry(2, Duration.ZERO, dir.resolve("dead.jsonl")), Clock.systemUTC())) {
        sink.alert(a);
        // Polled: GreenMail's waitForIncomingEmail held up delivery from another thread here.
        SinkFixtures.await(() -> smtp.getReceivedMessages().length == 2, "no mail for both recipients");
      }
      MimeMessage[] mail = smtp.getReceivedMessages();
      assertThat(mail).hasSize(2);
      assertThat(mail[0].getSubject()).isEqualTo("[Custos] high alert: deceased-patient");
      String body = GreenMailUtil.getBody(mail[0]);
      assertThat(body).contains("\"id\" : \"" + a.id() + "\"", "pt-6f1c2a9b0d3e4f57", "custos incident open --alert " + a.id());
      assertThat(dir.resolve("dead.jsonl")).doesNotExist();
    } finally {
      smtp.stop();
    }
  }
}
