package io.custos.phi.logging;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Second line of defence for PHI-free logs (transmission security; 45 CFR 164.312(e)):
 * masks values in a log line that look like Safe Harbor identifiers (45 CFR 164.514(b)(2)(i)): (F)
 * email addresses, (D)/(E) telephone and fax numbers, (G) social security numbers, (H)-(L) medical record,
 * plan, account, licence and similar numbers, (C) full dates, (O) IP addresses (loopback kept) and
 * (R) UUID-shaped record ids. The first line of defence is code that logs ids and hashes only; this catches
 * what slips through (library messages, exception text).
 *
 * <p>UUIDs are not erased but replaced by {@code id#xxxxxxxx}, a salted hash prefix (salt random per
 * process): log lines about the same record still correlate within a run, and the id cannot be recovered.
 * Names and street addresses cannot be recognised by pattern; {@code PhiLogScanIT} proves they do not
 * occur. Thread-safe.
 */
public final class PhiMasker {
  private record Rule(Pattern pattern, String replacement) {}

  private static final Pattern UUID = Pattern.compile("(?i)\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");

  private static final List<Rule> RULES = List.of(
      new Rule(Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+"), "[email]"),
      new Rule(Pattern.compile("\\b\\d{3}-\\d{2}-\\d{4}\\b"), "[ssn]"),
      new Rule(Pattern.compile("(?<![\\w.])(?:\\+?1[-. ]?)?\\(?\\d{3}\\)?[-. ]\\d{3}[-. ]\\d{4}(?:\\s*(?:x|ext\\.?)\\s*\\d{1,6})?\\b"), "[phone]"),
      // Full dates (ISO, with optional time; US style). A year alone is not an identifier.
      new Rule(Pattern.compile("\\b(?:18|19|20)\\d{2}-[01]\\d-[0-3]\\d(?:T[0-2]\\d:[0-5]\\d(?::[0-5]\\d(?:\\.\\d+)?)?(?:Z|[+-][0-2]\\d:?[0-5]\\d)?)?\\b"), "[date]"),
      new Rule(Pattern.compile("\\b[01]?\\d/[0-3]?\\d/(?:18|19|20)\\d{2}\\b"), "[date]"),
      // IPv4 other than loopback.
      new Rule(Pattern.compile("\\b(?!127\\.)(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?:\\.(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}\\b"), "[ip]"),
      // Licence/passport/MRN-like tokens: letters followed by 6+ digits (e.g. S99912345, X12345678X).
      new Rule(Pattern.compile("\\b[A-Z]{1,3}\\d{6,12}[A-Z]?\\b"), "[id]"),
      // Long digit runs: account, plan, MRN, card numbers. Not after '#': an id# tag (hex) can be all digits.
      new Rule(Pattern.compile("(?<![\\w.:/#-])\\d{7,19}\\b"), "[number]"));

  private static final byte[] SALT = new SecureRandom().generateSeed(16);

  private PhiMasker() {}

  /** @return {@code message} with identifier-like values masked; null stays null */
  public static String mask(String message) {
    if (message == null || message.isEmpty()) {
      return message;
    }
    String s = message;
    Matcher m = UUID.matcher(s);
    if (m.find()) {
      StringBuilder sb = new StringBuilder();
      do {
        m.appendReplacement(sb, "id#" + shortHash(m.group()));
      } while (m.find());
      m.appendTail(sb);
      s = sb.toString();
    }
    for (Rule r : RULES) {
      s = r.pattern().matcher(s).replaceAll(r.replacement());
    }
    return s;
  }

  private static String shortHash(String value) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(SALT);
      return HexFormat.of().formatHex(d.digest(value.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8)), 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
