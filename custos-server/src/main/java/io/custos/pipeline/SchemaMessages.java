package io.custos.pipeline;

import java.util.regex.Pattern;

/**
 * Reduces JSON Schema validator messages to argument names and rules, removing any quoted or echoed
 * value so that no argument content (which may be PHI) reaches a response or log.
 */
final class SchemaMessages {
  private static final Pattern QUOTED = Pattern.compile("\"[^\"]*\"|'[^']*'");
  private static final int MAX = 300;

  private SchemaMessages() {}

  static String summarize(String validatorMessage) {
    if (validatorMessage == null || validatorMessage.isBlank()) {
      return "invalid arguments.";
    }
    String s = QUOTED.matcher(validatorMessage).replaceAll("(value)").replaceAll("\\s+", " ").trim();
    int idx = s.indexOf("Validation failed:");
    if (idx >= 0) {
      s = s.substring(idx + "Validation failed:".length()).trim();
    }
    return s.length() > MAX ? s.substring(0, MAX) + "..." : s;
  }
}
