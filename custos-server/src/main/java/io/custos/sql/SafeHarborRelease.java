package io.custos.sql;

import io.custos.phi.deid.DeIdentifier;
import io.custos.phi.research.SmallCells;
import io.custos.tools.ResearchTools;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
   * The rows; without ORDER BY in the order of their released values, so the database's storage order (the order MRNs
   * were assigned in) does not tie a pseudonym to a patient.
   */
  Map<String, Object> rows(List<Map<String, String>> kept, boolean truncated) {
    List<Map<String, Object>> items = new ArrayList<>();
    for (Map<String, String> row : kept) {
      Map<String, Object> item = new LinkedHashMap<>();
      for (int i = 0; i < plan.outputs().size(); i++) {
        Object v = value(plan.outputs().get(i), row.get("c" + i));
        if (v != null) {
          item.put(plan.outputs().get(i).name(), v);
        }
      }
      items.add(item);
    }
    if (plan.distinct()) {
      // The keys fetched with every row make rows of one value distinct per patient; the released rows are not.
      List<Map<String, Object>> unique = List.copyOf(new LinkedHashSet<>(items));
      items.clear();
      items.addAll(unique);
    }
    if (!plan.ordered()) {
      items.sort(Comparator.comparing(Map::toString));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", items);
    out.put("count", items.size());
    if (truncated) {
      out.put("truncated", true);
    }
    return out;
  }

  /**
   * The counts per group of released values (so groups are what Safe Harbor releases, e.g. 3-digit ZIP codes), groups
   * in order of their values. A group's counts are suppressed (null) when 1 to {@link ResearchTools#MIN_CELL} - 1
   * patients stand behind it, whatever it counts (12 rows of one patient are still one patient), with complementary
   * groups ({@link SmallCells#suppressed}); a count over no rows is 0.
   *
   * @param maxGroups groups at most in the answer
   */
  Map<String, Object> counts(List<Map<String, String>> kept, int maxGroups) {
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
    members.forEach((key, rows) -> patients.put(key,
        new HashSet<>(rows.stream().flatMap(r -> patients(r).stream()).filter(p -> p != null).toList()).size()));
    Set<String> hidden = SmallCells.suppressed(patients, ResearchTools.MIN_CELL);
    int suppressed = 0;
    for (int i = 0; i < plan.outputs().size(); i++) {
      SqlPlan.Output o = plan.outputs().get(i);
      if (o.aggregate() == SqlPlan.Aggregate.NONE) {
        continue;
      }
      String column = "c" + i;
      for (var e : members.entrySet()) {
        List<String> values = e.getValue().stream().map(r -> r.get(column)).filter(v -> v != null).toList();
        int n = o.aggregate() == SqlPlan.Aggregate.DISTINCT ? new HashSet<>(values).size() : values.size();
        boolean small = hidden.contains(e.getKey());
        suppressed += small ? 1 : 0;
        groups.get(e.getKey()).put(o.name(), small ? null : n);
      }
    }
    if (groups.isEmpty() && plan.outputs().stream().allMatch(o -> o.aggregate() != SqlPlan.Aggregate.NONE)) {
      Map<String, Object> none = new LinkedHashMap<>(); // a count over no rows is zero, as SQL answers it
      plan.outputs().forEach(o -> none.put(o.name(), 0));
      groups.put("", none);
    }
    List<Map<String, Object>> items = new ArrayList<>(groups.values());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("items", List.copyOf(items.subList(0, Math.min(items.size(), maxGroups))));
    out.put("count", Math.min(items.size(), maxGroups));
    if (items.size() > maxGroups) {
      out.put("truncated", true);
    }
    out.put("suppressedCells", suppressed);
    return out;
  }

  /** The patients a row belongs to (its tables' patient keys). */
  private List<String> patients(Map<String, String> row) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < plan.keys().size(); i++) {
      keys.add(row.get("k" + i));
    }
    return keys;
  }

  /** Columns left out of this answer (free text, computed values, identifiers Safe Harbor does not release). */
  Set<String> masked() {
    return masked;
  }
}
