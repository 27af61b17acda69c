package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.sql.SqlRule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The SQL attack corpora and what every answer to one must hold: no stack trace, no driver text, no echo. */
final class SqlAttacks {
  private SqlAttacks() {}

  /** The statements of a corpus resource, one per line; blank lines and {@code #} comments left out. */
  static List<String> corpus(String resource) throws IOException {
    try (InputStream in = SqlAttacks.class.getResourceAsStream(resource)) {
      List<String> lines = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.add(line);
        }
      }
      return lines;
    }
  }

  /** Words the fixed refusal texts use anyway (the rules' own words), so they are not an echo. */
  static String ruleWords() {
    StringBuilder words = new StringBuilder("error forbidden invalid_arguments");
    for (SqlRule r : SqlRule.values()) {
      words.append(' ').append(r.message().toLowerCase(Locale.ROOT));
    }
    return words.toString();
  }

  /**
   * Asserts the answer to {@code attack} shows no stack trace or driver text and, when refused, a refusal reason and
   * no word of the statement (five letters or more, other than the rules' own); returns whether a named rule refused it.
   */
  static boolean refusedByRule(String attack, ToolOutcome out, String ruleWords) {
    String text = out.text();
    assertThat(text).as(attack).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("SQLState")
        .doesNotContain("ERROR:").doesNotContain("org.postgresql").doesNotContain("org.mariadb").doesNotContain("jsqlparser");
    if (!out.isError()) {
      return false;
    }
    assertThat(out.error()).as(attack).isIn(ToolCallException.Reason.FORBIDDEN, ToolCallException.Reason.INVALID_ARGUMENTS);
    assertThat(text).as(attack).doesNotContain(attack);
    for (String w : attack.toLowerCase(Locale.ROOT).split("[^a-z0-9_]+")) {
      if (w.length() >= 5 && !ruleWords.contains(w)) {
        assertThat(text.toLowerCase(Locale.ROOT)).as(attack).doesNotContain(w);
      }
    }
    return text.contains("(rule ");
  }
}
