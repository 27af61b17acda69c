package io.custos.phi;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The term list for uncoded text, read from {@code io/custos/phi/sensitive-terms.json}: per category, terms matched
 * as whole words, case-insensitively (a trailing {@code *} matches any word that starts with the term), and
 * case-sensitive terms (abbreviations such as {@code AIDS}, which must not match "hearing aids"). A word is a run of
 * letters and digits; a term of several words matches the same words in a row, whatever separates them.
 *
 * <p>Cost: the text is split into words once and each word is looked up in hash tables (its lower-case form, its
 * exact form, and its prefixes of each stem length), so a note costs time linear in its length, whatever the number
 * of terms.
 */
final class SensitiveTerms {
  private static final String FILE = "/io/custos/phi/sensitive-terms.json";

  /**
   * One term.
   *
   * @param words         its words (lower case unless case-sensitive)
   * @param stem          whether the last word matches as a prefix
   * @param caseSensitive whether words match exactly
   * @param category      the category it signals
   */
  private record Term(String[] words, boolean stem, boolean caseSensitive, SensitiveCategory category) {}

  /** Case-insensitive terms by lower-case first word (stems excluded). */
  private final Map<String, List<Term>> byWord = new HashMap<>();
  /** Case-sensitive terms by exact first word. */
  private final Map<String, List<Term>> byExactWord = new HashMap<>();
  /** Single-word stems by the stem. */
  private final Map<String, List<Term>> byStem = new HashMap<>();
  private final Set<Integer> stemLengths = new TreeSet<>();
  private final Set<SensitiveCategory> categories = EnumSet.noneOf(SensitiveCategory.class);

  private SensitiveTerms() {}

  private static final class BuiltIn {
    static final SensitiveTerms INSTANCE = read();
  }

  static SensitiveTerms builtIn() {
    return BuiltIn.INSTANCE;
  }

  private static SensitiveTerms read() {
    SensitiveTerms t = new SensitiveTerms();
    CategoryData.forEach(FILE, (cat, entry) -> {
      entry.path("terms").forEach(term -> t.add(term.asText(), false, cat));
      entry.path("caseSensitive").forEach(term -> t.add(term.asText(), true, cat));
    });
    return t;
  }

  private void add(String text, boolean caseSensitive, SensitiveCategory category) {
    boolean stem = text.endsWith("*");
    String body = stem ? text.substring(0, text.length() - 1) : text;
    List<String> words = words(caseSensitive ? body : body.toLowerCase(Locale.ROOT));
    if (words.isEmpty()) {
      throw new IllegalStateException("sensitive-terms.json: empty term");
    }
    Term term = new Term(words.toArray(String[]::new), stem, caseSensitive, category);
    Map<String, List<Term>> index = caseSensitive ? byExactWord : stem && words.size() == 1 ? byStem : byWord;
    if (index == byStem) {
      stemLengths.add(words.get(0).length());
    }
    index.computeIfAbsent(words.get(0), w -> new ArrayList<>()).add(term);
    categories.add(category);
  }

  /** The runs of letters and digits of {@code text}. */
  private static List<String> words(CharSequence text) {
    List<String> words = new ArrayList<>();
    int start = -1;
    for (int i = 0; i <= text.length(); i++) {
      boolean wordChar = i < text.length() && Character.isLetterOrDigit(text.charAt(i));
      if (wordChar && start < 0) {
        start = i;
      } else if (!wordChar && start >= 0) {
        words.add(text.subSequence(start, i).toString());
        start = -1;
      }
    }
    return words;
  }

  /** Adds to {@code found} every category a term of which occurs in {@code text}. */
  void classify(CharSequence text, Set<SensitiveCategory> found) {
    if (text == null || text.isEmpty()) {
      return;
    }
    List<String> words = words(text);
    String[] lower = new String[words.size()];
    for (int i = 0; i < lower.length; i++) {
      lower[i] = words.get(i).toLowerCase(Locale.ROOT);
    }
    for (int i = 0; i < lower.length && !found.containsAll(categories); i++) {
      match(byWord.get(lower[i]), words, lower, i, found);
      match(byExactWord.get(words.get(i)), words, lower, i, found);
      for (int len : stemLengths) {
        if (len > lower[i].length()) {
          break;
        }
        match(byStem.get(lower[i].substring(0, len)), words, lower, i, found);
      }
    }
  }

  private static void match(List<Term> candidates, List<String> words, String[] lower, int at, Set<SensitiveCategory> found) {
    if (candidates == null) {
      return;
    }
    for (Term t : candidates) {
      if (at + t.words().length <= lower.length && rest(t, words, lower, at)) {
        found.add(t.category());
      }
    }
  }

  /** Whether the words after the first match. */
  private static boolean rest(Term t, List<String> words, String[] lower, int at) {
    for (int k = 1; k < t.words().length; k++) {
      String w = t.caseSensitive() ? words.get(at + k) : lower[at + k];
      boolean last = k == t.words().length - 1;
      if (!(last && t.stem() ? w.startsWith(t.words()[k]) : w.equals(t.words()[k]))) {
        return false;
      }
    }
    return true;
  }

  /** The categories mentioned in {@code text}. */
  Set<SensitiveCategory> categoriesOf(CharSequence text) {
    Set<SensitiveCategory> found = EnumSet.noneOf(SensitiveCategory.class);
    classify(text, found);
    return found;
  }
}
