package io.custos.phi.deid;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Free-text de-identification (45 CFR 164.514(b)(2)(i)): removes the patient's own identifying strings
 * known from the resource context (A names, B address parts, G-K identifier values, D-F contact points)
 * and pattern-shaped identifiers: (F) emails, (N) URLs, (O) IP addresses, (G) SSNs, (D)/(E) phone and
 * fax numbers, (C) full dates (year kept) and ages over 89, (B) 5-digit ZIP codes (3-digit rule),
 * (L) vehicle identification numbers, (K)/(R) licence-like tokens and long numbers. Names not known from
 * context are not detected (no NER): the context must list them.
 */
final class TextScrubber {
  private record Rule(Pattern pattern, String replacement) {}

  private static final List<Rule> RULES = List.of(
      new Rule(Pattern.compile("(?i)\\b(?:https?|ftp)://[^\\s)\\]>\"']+|\\bwww\\.[^\\s)\\]>\"']+"), "[URL]"),
      new Rule(Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+"), "[EMAIL]"),
      new Rule(Pattern.compile("\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b"), "[IP]"),
      new Rule(Pattern.compile("(?i)\\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\\b"), "[IP]"),
      new Rule(Pattern.compile("\\b\\d{3}-\\d{2}-\\d{4}\\b"), "[SSN]"),
      new Rule(Pattern.compile("(?<![\\w.])(?:\\+?1[-. ]?)?\\(?\\d{3}\\)?[-. ]\\d{3}[-. ]\\d{4}(?:\\s*(?:x|ext\\.?)\\s*\\d{1,6})?\\b"), "[PHONE]"),
      new Rule(Pattern.compile("\\b[A-HJ-NPR-Z0-9]{17}\\b"), "[VIN]"),
      new Rule(Pattern.compile("\\b\\d{1,6}\\s+(?:[A-Z][A-Za-z]+\\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|"
          + "Drive|Dr|Court|Ct|Terrace|Way|Place|Pl|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq)\\b\\.?"), "[ADDRESS]"),
      new Rule(Pattern.compile("\\b[A-Z]{1,3}-?\\d{5,12}[A-Z]?\\b"), "[ID]"),
      // Other unique codes (R): upper-case/digit tokens of three or more hyphenated parts with a digit, e.g. ZX-7788-RARE.
      new Rule(Pattern.compile("\\b(?=[A-Z0-9-]*\\d)[A-Z0-9]{1,8}(?:-[A-Z0-9]{1,8}){2,5}\\b"), "[ID]"),
      new Rule(Pattern.compile("\\b\\d{6,}\\b"), "[ID]"),
      new Rule(Pattern.compile("(?i)\\b(9\\d|1[0-4]\\d)(?=\\s*-?\\s*(?:years?|yrs?|y/?o)\\b)"), "90+"));

  /** ISO and US full dates: replaced by their year (Safe Harbor keeps the year). */
  private static final Pattern ISO_DATE = Pattern.compile("\\b((?:18|19|20)\\d{2})-[01]\\d-[0-3]\\d(?:T[0-9:.]+(?:Z|[+-]\\d{2}:?\\d{2})?)?\\b");
  private static final Pattern US_DATE = Pattern.compile("\\b[01]?\\d/[0-3]?\\d/((?:18|19|20)\\d{2})\\b");
  private static final Pattern MONTH_DATE = Pattern.compile("(?i)\\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?\\s+\\d{1,2},?\\s+((?:18|19|20)\\d{2})\\b");
  private static final Pattern ZIP = Pattern.compile("\\b(\\d{3})\\d{2}(?:-\\d{4})?\\b");

  private final List<Pattern> known = new ArrayList<>();

  TextScrubber(DeidContext context) {
    context.knownTerms().stream().sorted(Comparator.comparingInt(String::length).reversed()).forEach(t ->
        known.add(Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(t) + "(?![\\p{L}\\p{N}])", Pattern.CASE_INSENSITIVE)));
  }

  String scrub(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String s = text;
    for (Pattern p : known) {
      s = p.matcher(s).replaceAll("[REDACTED]");
    }
    for (Rule r : RULES.subList(0, 6)) {
      s = r.pattern().matcher(s).replaceAll(r.replacement());
    }
    s = ISO_DATE.matcher(s).replaceAll("$1");
    s = US_DATE.matcher(s).replaceAll("$1");
    s = MONTH_DATE.matcher(s).replaceAll("$1");
    Matcher z = ZIP.matcher(s);
    StringBuilder sb = new StringBuilder();
    while (z.find()) {
      z.appendReplacement(sb, Matcher.quoteReplacement(DeIdentifier.zip3(z.group(1)) + "**"));
    }
    z.appendTail(sb);
    s = sb.toString();
    for (Rule r : RULES.subList(6, RULES.size())) {
      s = r.pattern().matcher(s).replaceAll(r.replacement());
    }
    return s;
  }
}
