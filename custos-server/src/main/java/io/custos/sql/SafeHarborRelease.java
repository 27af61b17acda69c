package io.custos.sql;

import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.research.SmallCells;
import io.custos.tools.ResearchTools;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * One de-identified answer's release of the rows Custos kept (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)): each value
 * reduced by its column's declared class, whatever the view holds, and counts computed here with small cells suppressed
 * (45 CFR 164.514(d) minimum necessary).
 */
final class SafeHarborRelease {
  private final SqlPlan plan;
  private final UnaryOperator<String> pseudonyms;
  private final int referenceYear;
  private final Set<String> masked = new LinkedHashSet<>();

  SafeHarborRelease(SqlPlan plan, UnaryOperator<String> pseudonyms, int referenceYear) {
    this.plan = plan;
    this.pseudonyms = pseudonyms;
    this.referenceYear = referenceYear;
    for (SqlPlan.Output o : plan.outputs()) {
      if (o.aggregate() == SqlPlan.Aggregate.NONE && !releasable(o)) {
        masked.add(o.name());
      }
    }
  }

  /** Free text, computed values (fenced as text) and identifiers Safe Harbor does not release are left out. */
  private static boolean releasable(SqlPlan.Output o) {
    return switch (o.kind()) {
      case TEXT -> false;
      case IDENTIFIER -> o.identifier().filter(IdentifierKind::released).isPresent();
      default -> true;
    };
  }

  /** What Safe Harbor releases of a value of {@code o} (null: none). */
  private Object value(SqlPlan.Output o, String raw) {
    if (raw == null || masked.contains(o.name())) {
      return null;
    }
    if (o.kind() != ColumnClass.IDENTIFIER) {
      return SqlTool.value(o.kind(), raw);
    }
    return switch (o.identifier().orElseThrow()) {
      case PATIENT_KEY -> pseudonyms.apply(raw);
      case DATE -> year(raw);
      case BIRTH_DATE -> {
        Integer y = year(raw);
        yield y == null || referenceYear - y > 89 ? null : y; // (C): over 89, the year too is aggregated
      }
      case AGE -> {
        String digits = raw.strip();
        yield digits.matches("[0-9]{1,3}") ? (Integer.parseInt(digits) > 89 ? "90+" : Integer.valueOf(digits)) : null;
      }
      case ZIP -> {
        String digits = raw.replaceAll("[^0-9]", "");
        yield digits.length() >= 3 ? DeIdentifier.zip3(digits.substring(0, 3)) : null;
      }
      default -> null;
    };
  }

  /** The year of {@code 2019-03-04}, {@code 20190304}, {@code 2019-03-04T10:00:00Z} or {@code 2019}; null otherwise. */
  private static Integer year(String raw) {
    String s = raw.strip();
    return s.length() >= 4 && s.substring(0, 4).chars().allMatch(Character::isDigit)
        && (s.length() == 4 || !Character.isDigit(s.charAt(4)) || s.length() == 8) ? Integer.valueOf(s.substring(0, 4)) : null;
  }

  /**
   * The rows, released as the research extract releases its rows (45 CFR 164.514(d), k-anonymity with k =
   * {@link ResearchTools#MIN_CELL}):
   * <ul>
   *   <li>when 1 to {@code MIN_CELL - 1} patients stand behind all the rows, none is released (counting pseudonyms
   *       would recover a suppressed count);</li>
   *   <li>when a pseudonym is selected, it links each patient's rows, so the patient is the unit: a patient's profile is
   *       the set of its rows' combinations of released values other than pseudonyms, and patients whose profile 1 to
   *       {@code MIN_CELL - 1} patients share are left out with all their rows (and the answer is suppressed when fewer
   *       than {@code MIN_CELL} patients are left);</li>
   *   <li>a combination of the released values other than pseudonyms held by 1 to {@code MIN_CELL - 1} patients has
   *       those values left out of its rows, with the smallest other combinations (complementary) until the rows left
   *       out stand for at least {@code MIN_CELL} patients ({@link SmallCells#suppressed});</li>
   *   <li>the rows are sorted by the plan's ORDER BY keys over their released values, then by the whole released row,
   *       and cut to the plan's LIMIT here: the database's storage order (the order MRNs were assigned in) neither
   *       chooses nor orders them. {@code truncated} says that more released rows were left out by the LIMIT.</li>
   * </ul>
   *
   * @param kept the rows read and kept (no sensitive row the caller may not see, no patient who opted out)
   */
  Map<String, Object> rows(List<Map<String, String>> kept) {
    SqlPlan.RowRelease release = plan.release().orElseThrow();
    Map<String, Object> out = new LinkedHashMap<>();
    Set<String> everyone = new HashSet<>();
    kept.forEach(r -> everyone.addAll(patients(r)));
    if (everyone.size() < ResearchTools.MIN_CELL && !everyone.isEmpty()) {
      return suppressedAnswer(out);
    }
    List<Map<String, Object>> items = new ArrayList<>();
    Map<String, Set<String>> patientsByCombination = new LinkedHashMap<>();
    List<String> combinations = new ArrayList<>();
    Set<String> pseudonyms = new HashSet<>();
    plan.outputs().stream().filter(SafeHarborRelease::pseudonym).forEach(o -> pseudonyms.add(o.name()));
    List<String> owners = new ArrayList<>();
    Map<String, Set<String>> profiles = new HashMap<>();
    for (Map<String, String> row : kept) {
      Map<String, Object> item = released(row);
      Map<String, Object> combination = new TreeMap<>(item);
      combination.keySet().removeAll(pseudonyms);
      items.add(item);
      combinations.add(combination.toString());
      String owner = new TreeSet<>(patients(row)).toString();
      owners.add(owner);
      profiles.computeIfAbsent(owner, k -> new TreeSet<>()).add(combination.toString());
    }
    int suppressedCells = 0;
    List<Map<String, String>> rows = new ArrayList<>(kept);
    if (!pseudonyms.isEmpty()) {
      // A pseudonym links one patient's rows: each row may be common while the patient's set of rows is unique, so the
      // patient is the unit, and patients whose profile fewer than MIN_CELL patients share are left out whole.
      Map<Set<String>, Integer> sharing = new HashMap<>();
      profiles.values().forEach(p -> sharing.merge(p, 1, Integer::sum));
      int released = 0;
      for (var e : profiles.entrySet()) {
        released += sharing.get(e.getValue()) >= ResearchTools.MIN_CELL ? 1 : 0;
      }
      if (released < ResearchTools.MIN_CELL) {
        return suppressedAnswer(out);
      }
      for (int r = items.size() - 1; r >= 0; r--) {
        if (sharing.get(profiles.get(owners.get(r))) < ResearchTools.MIN_CELL) {
          suppressedCells += (int) items.get(r).keySet().stream().filter(k -> !pseudonyms.contains(k)).count();
          items.remove(r);
          combinations.remove(r);
          rows.remove(r);
        }
      }
    }
    for (int r = 0; r < items.size(); r++) {
      patientsByCombination.computeIfAbsent(combinations.get(r), k -> new HashSet<>()).addAll(patients(rows.get(r)));
    }
    Map<String, Integer> cells = new LinkedHashMap<>();
    patientsByCombination.forEach((k, v) -> cells.put(k, v.size()));
    Set<String> hidden = SmallCells.suppressed(cells, ResearchTools.MIN_CELL);
    for (int r = 0; r < items.size(); r++) {
      if (hidden.contains(combinations.get(r))) {
        int before = items.get(r).size();
        items.get(r).keySet().retainAll(pseudonyms);
        suppressedCells += before - items.get(r).size();
      }
    }
    if (plan.distinct()) {
      // The keys fetched with every row make rows of one value distinct per patient; the released rows are not.
      List<Map<String, Object>> unique = List.copyOf(new LinkedHashSet<>(items));
      items.clear();
      items.addAll(unique);
    }
    items.sort(order(release.order()).thenComparing(Map::toString));
    out.put("items", List.copyOf(items.subList(0, Math.min(items.size(), release.maxRows()))));
    out.put("count", Math.min(items.size(), release.maxRows()));
    if (items.size() > release.maxRows()) {
      out.put("truncated", true);
    }
    out.put("suppressedCells", suppressedCells);
    return out;
  }

  /** What Safe Harbor releases of one row: each output's value reduced by its class, absent ones left out. */
  Map<String, Object> released(Map<String, String> row) {
    Map<String, Object> item = new LinkedHashMap<>();
    for (int i = 0; i < plan.outputs().size(); i++) {
      Object v = value(plan.outputs().get(i), row.get("c" + i));
      if (v != null) {
        item.put(plan.outputs().get(i).name(), v);
      }
    }
    return item;
  }

  private static boolean pseudonym(SqlPlan.Output o) {
    return o.identifier().filter(k -> k == IdentifierKind.PATIENT_KEY).isPresent();
  }

  /** The ORDER BY keys over released values: numbers by value, anything else by its text. */
  private Comparator<Map<String, Object>> order(List<SqlPlan.SortKey> keys) {
    Comparator<Map<String, Object>> c = (a, b) -> 0;
    for (SqlPlan.SortKey k : keys) {
      String name = plan.outputs().get(k.output()).name();
      Comparator<Object> values = (x, y) -> x instanceof Number m && y instanceof Number n
          ? Long.compare(m.longValue(), n.longValue()) : String.valueOf(x).compareTo(String.valueOf(y));
      Comparator<Object> direction = k.ascending() ? values : values.reversed();
      Comparator<Object> nulls = k.nullsFirst() ? Comparator.nullsFirst(direction) : Comparator.nullsLast(direction);
      c = c.thenComparing(m -> m.get(name), nulls);
    }
    return c;
  }

  /**
   * The counts per group of released values (so groups are what Safe Harbor releases, e.g. 3-digit ZIP codes), groups
   * in order of their values, released as {@link #rows} releases rows (45 CFR 164.514(d), k-anonymity with k =
   * {@link ResearchTools#MIN_CELL}):
   * <ul>
   *   <li>when 1 to {@code MIN_CELL - 1} patients stand behind the whole answer, no group is released
   *       ({@code suppressed: true});</li>
   *   <li>a group 1 to {@code MIN_CELL - 1} patients stand behind, whatever it counts (12 rows of one patient are still
   *       one patient), is left out of the answer with its values, together with complementary groups
   *       ({@link SmallCells#suppressed}); {@code suppressedCells} says how many groups were left out;</li>
   *   <li>a count over no rows is 0.</li>
   * </ul>
   *
   * @param maxGroups groups at most in the answer
   */
  Map<String, Object> counts(List<Map<String, String>> kept, int maxGroups) {
    Map<String, Object> out = new LinkedHashMap<>();
    int everyone = patientsBehind(kept);
    if (everyone < ResearchTools.MIN_CELL && everyone > 0) {
      return suppressedAnswer(out);
    }
    Map<String, Map<String, Object>> groups = new TreeMap<>();
    Map<String, List<Map<String, String>>> members = new LinkedHashMap<>();
    for (Map<String, String> row : kept) {
      Map<String, Object> group = new LinkedHashMap<>();
      for (int i = 0; i < plan.outputs().size(); i++) {
        SqlPlan.Output o = plan.outputs().get(i);
        if (o.aggregate() == SqlPlan.Aggregate.NONE && !masked.contains(o.name())) {
          group.put(o.name(), value(o, row.get("c" + i)));
        }
      }
      String key = group.toString();
      groups.putIfAbsent(key, group);
      members.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
    }
    Map<String, Integer> patients = new LinkedHashMap<>();
    members.forEach((key, rows) -> patients.put(key, patientsBehind(rows)));
    Set<String> hidden = SmallCells.suppressed(patients, ResearchTools.MIN_CELL);
    groups.keySet().removeAll(hidden);
    for (int i = 0; i < plan.outputs().size(); i++) {
      SqlPlan.Output o = plan.outputs().get(i);
      if (o.aggregate() == SqlPlan.Aggregate.NONE) {
        continue;
      }
      String column = "c" + i;
      for (var e : groups.entrySet()) {
        List<String> values = members.get(e.getKey()).stream().map(r -> r.get(column)).filter(v -> v != null).toList();
        e.getValue().put(o.name(), o.aggregate() == SqlPlan.Aggregate.DISTINCT ? new HashSet<>(values).size() : values.size());
      }
    }
    if (kept.isEmpty() && plan.outputs().stream().allMatch(o -> o.aggregate() != SqlPlan.Aggregate.NONE)) {
      Map<String, Object> none = new LinkedHashMap<>(); // a count over no rows is zero, as SQL answers it
      plan.outputs().forEach(o -> none.put(o.name(), 0));
      groups.put("", none);
    }
    List<Map<String, Object>> items = new ArrayList<>(groups.values());
    out.put("items", List.copyOf(items.subList(0, Math.min(items.size(), maxGroups))));
    out.put("count", Math.min(items.size(), maxGroups));
    if (items.size() > maxGroups) {
      out.put("truncated", true);
    }
    out.put("suppressedCells", hidden.size());
    return out;
  }

  /** An answer 1 to {@code MIN_CELL - 1} patients stand behind: nothing released (counting them would recover it). */
  private static Map<String, Object> suppressedAnswer(Map<String, Object> out) {
    out.put("items", List.of());
    out.put("count", 0);
    out.put("suppressed", true);
    return out;
  }

  /**
   * The patients behind a group of rows: the fewest distinct patient keys of any one table read, so a join can never
   * make a group look as if more patients stood behind it than any of its tables holds.
   */
  private int patientsBehind(List<Map<String, String>> rows) {
    int fewest = Integer.MAX_VALUE;
    for (int i = 0; i < plan.keys().size(); i++) {
      String column = "k" + i;
      fewest = Math.min(fewest, (int) rows.stream().map(r -> r.get(column)).filter(p -> p != null).distinct().count());
    }
    return fewest == Integer.MAX_VALUE ? 0 : fewest;
  }

  /** The patients a row belongs to (its tables' patient keys). */
  private Set<String> patients(Map<String, String> row) {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < plan.keys().size(); i++) {
      java.util.Optional.ofNullable(row.get("k" + i)).ifPresent(keys::add);
    }
    return keys;
  }

  /** Columns left out of this answer (free text, computed values, identifiers Safe Harbor does not release). */
  Set<String> masked() {
    return masked;
  }
}
