package io.custos.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns JSON Schema validator output (networknt, e.g. {@code [/limit: must have a maximum value of 50, : required
 * property 'identifier' not found]}) into short sentences that name the argument and the bound, e.g. "limit must be
 * at most 50." or "Give family and birthdate, or identifier.".
 *
 * <p>No argument value ever reaches the text (it may be PHI): a sentence is built only from the argument's name as
 * declared in the input schema, the schema's own bounds and descriptions, and numbers the validator reports from the
 * schema. The name of an argument the schema does not declare is request-derived and is never repeated; an
 * unrecognised validator message becomes "... is not valid.".
 */
final class SchemaMessages {
  /** One validator error: a JSON Pointer to the instance (empty for the arguments object), ": ", the message. */
  private static final Pattern ERROR_START = Pattern.compile("(?:^|, )((?:/[^\\s,:/]*)*): ");
  private static final Pattern NAME_SEGMENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  private static final Pattern INDEX_SEGMENT = Pattern.compile("[0-9]{1,6}");
  private static final Pattern REQUIRED = Pattern.compile("^required property '([A-Za-z_][A-Za-z0-9_]{0,63})' not found");
  private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(?:\\.[0-9]+)?");
  private static final Pattern MAXIMUM = Pattern.compile("^must have a maximum value of (" + NUMBER + ")");
  private static final Pattern MINIMUM = Pattern.compile("^must have a minimum value of (" + NUMBER + ")");
  private static final Pattern MAX_LENGTH = Pattern.compile("^must be at most ([0-9]+) characters? long");
  private static final Pattern MIN_LENGTH = Pattern.compile("^must be at least ([0-9]+) characters? long");
  private static final Pattern MAX_ITEMS = Pattern.compile("^must have at most ([0-9]+) items?");
  private static final Pattern MIN_ITEMS = Pattern.compile("^must have at least ([0-9]+) items?");
  private static final Pattern TYPE = Pattern.compile("^[a-z]+ found, ([a-z]+) expected");
  private static final int MAX_SENTENCES = 5;
  private static final int MAX = 400;

  private SchemaMessages() {}

  /** As {@link #summarize(String, Map)} without the schema: names, bounds and sentences, but no descriptions or lists. */
  static String summarize(String validatorMessage) {
    return summarize(validatorMessage, Map.of());
  }

  /**
   * Sentences for a failed validation against {@code inputSchema}.
   *
   * @param validatorMessage the validator's error message (may be null)
   * @param inputSchema      the tool's input schema (JSON Schema as maps and lists); used for declared argument
   *                         names, {@code anyOf} alternatives of required arguments, enum values and descriptions
   * @return one or more sentences, at most {@value #MAX} characters; never contains an argument value
   */
  static String summarize(String validatorMessage, Map<String, Object> inputSchema) {
    List<String[]> errors = errors(validatorMessage);
    if (errors.isEmpty()) {
      return "The arguments are not valid.";
    }
    Map<String, Object> properties = map(inputSchema.get("properties"));
    List<List<String>> alternatives = requiredAlternatives(inputSchema);
    Set<String> sentences = new LinkedHashSet<>();
    boolean alternativesMissing = false;
    for (String[] e : errors) {
      Matcher required = REQUIRED.matcher(e[1]);
      if (e[0].isEmpty() && required.find() && alternatives.stream().anyMatch(a -> a.contains(required.group(1)))) {
        alternativesMissing = true;
      } else {
        sentences.add(sentence(e[0], e[1], properties));
      }
    }
    if (alternativesMissing) {
      sentences.add("Give " + String.join(", or ", alternatives.stream().map(a -> String.join(" and ", a)).toList()) + ".");
    }
    String text = String.join(" ", sentences.stream().limit(MAX_SENTENCES).toList());
    return text.length() > MAX ? text.substring(0, MAX - 3) + "..." : text;
  }

  /** The validator's errors as {pointer, message} pairs, in order. */
  private static List<String[]> errors(String validatorMessage) {
    List<String[]> out = new ArrayList<>();
    if (validatorMessage == null) {
      return out;
    }
    String s = validatorMessage.replaceAll("\\s+", " ").trim();
    int open = s.indexOf('[');
    if (open >= 0 && s.endsWith("]")) {
      s = s.substring(open + 1, s.length() - 1);
    }
    Matcher m = ERROR_START.matcher(s);
    List<int[]> starts = new ArrayList<>();
    while (m.find()) {
      starts.add(new int[] {m.start(1), m.end()});
    }
    for (int i = 0; i < starts.size(); i++) {
      int end = i + 1 < starts.size() ? starts.get(i + 1)[0] - 2 : s.length();
      out.add(new String[] {s.substring(starts.get(i)[0], starts.get(i)[1] - 2), s.substring(starts.get(i)[1], Math.max(end, starts.get(i)[1]))});
    }
    return out;
  }

  private static String sentence(String pointer, String message, Map<String, Object> properties) {
    if (message.startsWith("property ") && message.contains("is not defined in the schema")) {
      // the unknown name came from the request: never repeated
      return properties.isEmpty() ? "Remove arguments this tool does not take."
          : "Remove arguments this tool does not take (it takes: " + String.join(", ", properties.keySet()) + ").";
    }
    Matcher required = REQUIRED.matcher(message);
    if (required.find()) {
      String missing = required.group(1);
      return (pointer.isEmpty() ? "" : name(pointer, properties) + ": ") + missing + " is required.";
    }
    String arg = name(pointer, properties);
    Map<String, Object> declared = pointer.isEmpty() ? Map.of() : map(properties.get(pointer.substring(1)));
    Matcher m;
    if ((m = MAXIMUM.matcher(message)).find()) {
      return arg + " must be at most " + m.group(1) + ".";
    }
    if ((m = MINIMUM.matcher(message)).find()) {
      return arg + " must be at least " + m.group(1) + ".";
    }
    if ((m = MAX_LENGTH.matcher(message)).find()) {
      return arg + " must be at most " + m.group(1) + " characters long.";
    }
    if ((m = MIN_LENGTH.matcher(message)).find()) {
      return "1".equals(m.group(1)) ? arg + " must not be empty." : arg + " must be at least " + m.group(1) + " characters long.";
    }
    if ((m = MAX_ITEMS.matcher(message)).find()) {
      return arg + " may have at most " + m.group(1) + " items.";
    }
    if ((m = MIN_ITEMS.matcher(message)).find()) {
      return arg + " must have at least " + m.group(1) + " item" + ("1".equals(m.group(1)) ? "." : "s.");
    }
    if ((m = TYPE.matcher(message)).find()) {
      String type = m.group(1);
      return arg + " must be " + ("aeiou".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type + ".";
    }
    if (message.startsWith("does not have a value in the enumeration")) {
      return declared.get("enum") instanceof List<?> values && !values.isEmpty()
          ? arg + " must be one of: " + String.join(", ", values.stream().map(String::valueOf).toList()) + "."
          : arg + " must be one of the values the tool's input schema lists.";
    }
    if (message.startsWith("does not match the regex pattern")) {
      return declared.get("description") instanceof String d
          ? arg + " is not in the accepted form (" + stripPeriod(d) + ")."
          : arg + " is not in the accepted form.";
    }
    if (message.startsWith("must have only unique items")) {
      return arg + " must not repeat items.";
    }
    return arg + " is not valid.";
  }

  /**
   * The argument a JSON Pointer names, e.g. {@code /answers/0/link_id} as {@code answers[0].link_id}; "An
   * argument" for the arguments object itself or a name the schema does not declare.
   */
  private static String name(String pointer, Map<String, Object> properties) {
    String[] segments = pointer.substring(Math.min(1, pointer.length())).split("/", -1);
    if (pointer.isEmpty() || !NAME_SEGMENT.matcher(segments[0]).matches()
        || (!properties.isEmpty() && !properties.containsKey(segments[0]))) {
      return "An argument";
    }
    StringBuilder b = new StringBuilder(segments[0]);
    for (int i = 1; i < segments.length; i++) {
      if (INDEX_SEGMENT.matcher(segments[i]).matches()) {
        b.append('[').append(segments[i]).append(']');
      } else if (NAME_SEGMENT.matcher(segments[i]).matches()) {
        b.append('.').append(segments[i]);
      } else {
        break; // not a declared-name shape: stop at the last safe segment
      }
    }
    return b.toString();
  }

  /** The argument lists of a schema's {@code anyOf: [{required: [...]}, ...]} (e.g. a name with birth date, or an id). */
  private static List<List<String>> requiredAlternatives(Map<String, Object> schema) {
    List<List<String>> out = new ArrayList<>();
    if (schema.get("anyOf") instanceof List<?> branches) {
      for (Object b : branches) {
        if (map(b).get("required") instanceof List<?> names && !names.isEmpty()) {
          out.add(names.stream().map(String::valueOf).toList());
        }
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static String stripPeriod(String s) {
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }
}
