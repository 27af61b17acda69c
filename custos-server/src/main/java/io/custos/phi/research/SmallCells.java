package io.custos.phi.research;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Small-cell suppression for released research statistics and extracts (45 CFR 164.514(d) minimum necessary; the CMS
 * cell-size suppression policy). A value held by 1 to {@code min - 1} patients is suppressed (primary) and more is
 * suppressed with it (complementary) until what is hidden covers at least {@code min} patients, so a hidden value can
 * neither be recovered by subtracting released counts from a released total nor singled out among few hidden rows:
 * <ul>
 *   <li>in a table of counts, whole cells, the smallest first;</li>
 *   <li>in an extract's rows, single rows' values, taken from the smallest remaining values first (a value held by
 *       {@code min} or more rows may then show in fewer: it is still a large cell).</li>
 * </ul>
 */
public final class SmallCells {
  /** Released attributes of an extract row that are suppressed cell by cell, with the value a suppressed one takes. */
  private static final Map<String, Object> ROW_ATTRIBUTES = new java.util.LinkedHashMap<>();

  static {
    ROW_ATTRIBUTES.put("ageBand", "suppressed");
    ROW_ATTRIBUTES.put("gender", null);
    ROW_ATTRIBUTES.put("birthYear", null);
    ROW_ATTRIBUTES.put("state", null);
    ROW_ATTRIBUTES.put("zip3", null);
  }

  private SmallCells() {}

  /**
   * The cells to suppress.
   *
   * @param cells patients per cell (zero cells are released as zero)
   * @param min   the threshold, at least 2
   */
  public static Set<String> suppressed(Map<String, Integer> cells, int min) {
    Set<String> hidden = new HashSet<>();
    int total = 0;
    for (var e : cells.entrySet()) {
      if (e.getValue() > 0 && e.getValue() < min) {
        hidden.add(e.getKey());
        total += e.getValue();
      }
    }
    if (!hidden.isEmpty() && total < min) {
      List<Map.Entry<String, Integer>> rest = new ArrayList<>(cells.entrySet());
      rest.removeIf(e -> e.getValue() == 0 || hidden.contains(e.getKey()));
      rest.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
      for (var e : rest) {
        if (total >= min) {
          break;
        }
        hidden.add(e.getKey());
        total += e.getValue();
      }
    }
    return hidden;
  }

  /**
   * Suppresses, attribute by attribute, every value of an extract's rows held by too few rows (and complementary ones),
   * and likewise the onset years of the rows' conditions.
   *
   * @return the number of cells (row values) suppressed
   */
  @SuppressWarnings("unchecked")
  static int suppressRows(List<Map<String, Object>> rows, int min) {
    int suppressedCells = 0;
    for (var attribute : ROW_ATTRIBUTES.entrySet()) {
      suppressedCells += suppress(rows, attribute.getKey(), attribute.getValue(), min);
    }
    suppressedCells += suppressCombinations(rows, min);
    List<Map<String, Object>> conditions = new ArrayList<>();
    rows.forEach(r -> conditions.addAll((List<Map<String, Object>>) r.get("conditions")));
    return suppressedCells + suppress(conditions, "onsetYear", null, min);
  }

  private static int suppress(List<Map<String, Object>> rows, String attribute, Object replacement, int min) {
    Map<String, List<Map<String, Object>>> byValue = new HashMap<>();
    for (Map<String, Object> r : rows) {
      Object v = r.get(attribute);
      if (v != null) {
        byValue.computeIfAbsent(String.valueOf(v), k -> new ArrayList<>()).add(r);
      }
    }
    List<Map<String, Object>> hidden = toHide(byValue.values(), new ArrayList<>(), min, false);
    hidden.forEach(r -> r.put(attribute, replacement));
    return hidden.size();
  }

  /**
   * Values shared attribute by attribute can still single a row out in combination (sex, birth year, state and ZIP3
   * together): every row whose combination of the released attributes is held by fewer than {@code min} rows has all of
   * them suppressed, and rows of the smallest other combinations join it until the fully suppressed rows are at least
   * {@code min} (k-anonymity over the released attributes, k = {@code min}).
   *
   * @return the number of cells suppressed
   */
  private static int suppressCombinations(List<Map<String, Object>> rows, int min) {
    Map<List<Object>, List<Map<String, Object>>> byCombination = new HashMap<>();
    for (Map<String, Object> r : rows) {
      List<Object> key = new ArrayList<>();
      ROW_ATTRIBUTES.keySet().forEach(a -> key.add(r.get(a)));
      byCombination.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }
    List<Object> allSuppressed = new ArrayList<>(ROW_ATTRIBUTES.values());
    List<Map<String, Object>> hidden = toHide(byCombination.entrySet().stream().filter(e -> !e.getKey().equals(allSuppressed))
        .map(Map.Entry::getValue).toList(), new ArrayList<>(byCombination.getOrDefault(allSuppressed, List.of())), min, true);
    int n = 0;
    for (Map<String, Object> r : hidden) {
      for (var attribute : ROW_ATTRIBUTES.entrySet()) {
        if (!java.util.Objects.equals(r.get(attribute.getKey()), attribute.getValue())) {
          r.put(attribute.getKey(), attribute.getValue());
          n++;
        }
      }
    }
    return n;
  }

  /**
   * The rows to hide: {@code hidden} plus every group smaller than {@code min}; then, if any is hidden, rows of the
   * smallest other groups (one by one, or {@code wholeGroups}) until at least {@code min} rows are hidden.
   */
  private static List<Map<String, Object>> toHide(java.util.Collection<List<Map<String, Object>>> groups,
      List<Map<String, Object>> hidden, int min, boolean wholeGroups) {
    List<List<Map<String, Object>>> others = new ArrayList<>();
    for (List<Map<String, Object>> group : groups) {
      if (group.size() < min) {
        hidden.addAll(group);
      } else {
        others.add(group);
      }
    }
    if (!hidden.isEmpty()) {
      others.sort(Comparator.comparingInt(List::size));
      for (List<Map<String, Object>> group : others) {
        if (hidden.size() >= min) {
          break;
        }
        if (wholeGroups) {
          hidden.addAll(group); // a part of a combination left released would be a smaller one
        } else {
          hidden.addAll(group.subList(0, Math.min(group.size(), min - hidden.size())));
        }
      }
    }
    return hidden;
  }

  /** A pseudonym valid for one extract only: HMAC-SHA256 of the stable pseudonym under the extract's random key. */
  static String extractPseudonym(byte[] extractKey, String pseudonym) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(extractKey, "HmacSHA256"));
      byte[] h = mac.doFinal(pseudonym.getBytes(StandardCharsets.UTF_8));
      return "x-" + Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(h, 16));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
