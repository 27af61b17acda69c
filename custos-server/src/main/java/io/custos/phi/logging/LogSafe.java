package io.custos.phi.logging;

/**
 * Neutralises log injection (CWE-117, OWASP "Log Injection"): a value written into a log line must not be able
 * to end that line or fake another one. Every character that a terminal, a log shipper or a line-oriented reader
 * could take as a line break or a control sequence is written as a visible escape instead:
 * CR, LF and TAB as {@code \r}, {@code \n}, {@code \t}; every other C0 control, DEL and the C1 controls
 * (U+0080-U+009F, NEL included) as {@code \}{@code uXXXX}; U+2028 and U+2029 (line and paragraph separators);
 * and unpaired UTF-16 surrogates, which are not characters at all. Everything else is kept. Thread-safe, no state.
 */
public final class LogSafe {
  private LogSafe() {}

  /**
   * @param value any text; null stays null
   * @return {@code value} on one line, with the characters above escaped; the same instance when nothing needs it
   */
  public static String neutralize(String value) {
    if (value == null) {
      return null;
    }
    int first = firstUnsafe(value);
    if (first < 0) {
      return value;
    }
    StringBuilder b = new StringBuilder(value.length() + 16).append(value, 0, first);
    for (int i = first; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
        b.append(c).append(value.charAt(++i));
      } else if (!unsafe(c)) {
        b.append(c);
      } else if (c == '\r') {
        b.append("\\r");
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c == '\t') {
        b.append("\\t");
      } else {
        b.append(String.format("\\u%04X", (int) c));
      }
    }
    return b.toString();
  }

  private static int firstUnsafe(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (unsafe(c)) {
        return i;
      }
    }
    return -1;
  }

  /** Controls, line separators and (when reached here, unpaired) surrogates. */
  private static boolean unsafe(char c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c);
  }
}
