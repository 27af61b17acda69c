package io.custos.phi.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class PhiMaskerTest {

  @Test
  void masksIdentifierShapedValues() {
    String in = "ssn 999-12-3456 phone 555-238-4829 (617) 555-0100 mail jane.roe@example.org dob 1970-02-03 at 03/04/1971 "
        + "ip 10.1.2.3 licence S99912345 passport X12345678X mrn 123456789 patient 069b5064-ff05-2225-3995-f32685518bc6";
    String out = PhiMasker.mask(in);
    assertThat(out).doesNotContain("999-12-3456", "555-238-4829", "555-0100", "jane.roe@example.org", "1970-02-03", "03/04/1971",
        "10.1.2.3", "S99912345", "X12345678X", "123456789", "069b5064-ff05-2225-3995-f32685518bc6");
    assertThat(out).contains("[ssn]", "[phone]", "[email]", "[date]", "[ip]", "[id]", "[number]", "id#");
  }

  @Test
  void keepsOrdinaryOperationalText() {
    String in = "Embedded FHIR store listening on 127.0.0.1:41234; 17 resources of 3 types; tool call took 12 ms; TLSv1.3";
    assertThat(PhiMasker.mask(in)).isEqualTo(in);
    assertThat(PhiMasker.mask("")).isEmpty();
    assertThat(PhiMasker.mask(null)).isNull();
  }

  @Test
  void recordIdsBecomeSaltedTagsThatCorrelateWithinARun() {
    String a = "3fa2c1d0-1111-4222-8333-444455556666";
    String b = "3fa2c1d0-1111-4222-8333-444455556667";
    String out = PhiMasker.mask("read " + a + " then " + b + " then " + a.toUpperCase(Locale.ROOT));
    Matcher m = Pattern.compile("^read id#([0-9a-f]{8}) then id#([0-9a-f]{8}) then id#([0-9a-f]{8})$").matcher(out);
    assertThat(m.matches()).as(out).isTrue();
    assertThat(m.group(3)).as("the same record, in any letter case, gets the same tag").isEqualTo(m.group(1));
    assertThat(m.group(2)).as("another record gets another tag").isNotEqualTo(m.group(1));
    assertThat(m.group(1)).as("salted: not the plain SHA-256 of the id, which anyone could recompute")
        .isNotEqualTo(sha256Prefix(a));
    assertThat(PhiMasker.mask("call " + a)).isEqualTo("call id#" + m.group(1));
  }

  @Test
  void aTagWhoseHexIsAllDigitsIsNotMaskedAgain() {
    // About 2% of tags are all digits; one such tag must survive the long-digit-run rule, or correlation is lost.
    String tagged = null;
    for (int i = 0; i < 10_000 && tagged == null; i++) {
      String out = PhiMasker.mask(String.format("3fa2c1d0-1111-4222-8333-%012d", i));
      if (out.matches("id#[0-9]{8}")) {
        tagged = out;
      }
    }
    assertThat(tagged).as("an all-digit tag occurs within 10,000 ids").isNotNull().matches("id#[0-9]{8}");
  }

  private static String sha256Prefix(String value) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void logbackConfigurationPrintsMessagesAndExceptionsMasked() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    assertThat(ctx.getStatusManager().getCopyOfStatusList()).noneMatch(s -> s.getLevel() >= Status.WARN);
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    var appender = (OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>) root.getAppender("STDERR");
    LoggingEvent e = new LoggingEvent("x", root, Level.ERROR, "lookup of {} failed", new IllegalStateException("bad ssn 999-12-3456"),
        new Object[] {"jane.roe@example.org"});
    String line = new String(appender.getEncoder().encode(e), StandardCharsets.UTF_8);
    assertThat(line).contains("[email]", "[ssn]", "IllegalStateException").doesNotContain("jane.roe", "999-12-3456");
  }
}
