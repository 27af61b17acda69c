package io.custos.phi;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The term list for uncoded text, read from {@code io/custos/phi/sensitive-terms.json}: per category, terms matched
 * case-insensitively on word boundaries (a trailing {@code *} matches any word that starts with the term), and
 * case-sensitive terms (abbreviations such as {@code AIDS}, which must not match "hearing aids"). Spaces and hyphens in
 * a term match any run of spaces or hyphens. All terms of all categories are one alternation, so a text is scanned
 * once.
 */
final class SensitiveTerms {
  private static final String FILE = "/io/custos/phi/sensitive-terms.json";
  private final Pattern pattern;
  /** Capturing group number -> category. */
  private final List<SensitiveCategory> groups;

  private SensitiveTerms(Pattern pattern, List<SensitiveCategory> groups) {
    this.pattern = pattern;
    this.groups = groups;
  }

  private static final class BuiltIn {
    static final SensitiveTerms INSTANCE = read();
  }

  static SensitiveTerms builtIn() {
    return BuiltIn.INSTANCE;
  }

  private static SensitiveTerms read() {
    Map<SensitiveCategory, List<String>> alternatives = new EnumMap<>(SensitiveCategory.class);
    CategoryData.forEach(FILE, (cat, entry) -> {
      List<String> alts = alternatives.computeIfAbsent(cat, c -> new ArrayList<>());
      entry.path("terms").forEach(t -> alts.add(regex(t.asText())));
      entry.path("caseSensitive").forEach(t -> alts.add("(?-i:" + regex(t.asText()) + ")"));
    });
    StringBuilder sb = new StringBuilder("(?iu)");
    List<SensitiveCategory> groups = new ArrayList<>();
    alternatives.forEach((cat, alts) -> {
      sb.append(groups.isEmpty() ? "" : "|").append('(').append(String.join("|", alts)).append(')');
      groups.add(cat);
    });
    return new SensitiveTerms(Pattern.compile(sb.toString()), List.copyOf(groups));
  }

  /** A word-bounded regular expression for one term. */
  private static String regex(String term) {
    boolean stem = term.endsWith("*");
    String body = stem ? term.substring(0, term.length() - 1) : term;
    List<String> words = new ArrayList<>();
    for (String w : body.strip().split("[\\s-]+")) {
      words.add(Pattern.quote(w));
    }
    return "\\b" + String.join("[\\s-]+", words) + (stem ? "" : "\\b");
  }

  /** Adds to {@code found} every category a term of which occurs in {@code text}. */
  void classify(CharSequence text, Set<SensitiveCategory> found) {
    if (text == null || text.isEmpty()) {
      return;
    }
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      for (int g = 1; g <= groups.size(); g++) {
        if (m.group(g) != null) {
          found.add(groups.get(g - 1));
          break;
        }
      }
      if (found.containsAll(groups)) {
        return;
      }
    }
  }

  /** The categories mentioned in {@code text}. */
  Set<SensitiveCategory> categoriesOf(CharSequence text) {
    Set<SensitiveCategory> found = EnumSet.noneOf(SensitiveCategory.class);
    classify(text, found);
    return found;
  }
}
