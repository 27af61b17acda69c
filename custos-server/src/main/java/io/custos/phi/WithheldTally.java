package io.custos.phi;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts the records of one tool result withheld for sensitive categories, so the result says
 * {@code "withheld": {"count": n, "categories": [...]}} instead of silently dropping them
 * (withheld data is signalled as withheld). Not thread-safe: one per call.
 */
public final class WithheldTally {
  private int count;
  private final Set<SensitiveCategory> categories = EnumSet.noneOf(SensitiveCategory.class);

  public void add(Set<SensitiveCategory> recordCategories) {
    count++;
    categories.addAll(recordCategories);
  }

  public boolean isEmpty() {
    return count == 0;
  }

  public int count() {
    return count;
  }

  /** Category ids, in a fixed order. */
  public List<String> categoryIds() {
    List<String> ids = new ArrayList<>();
    categories.forEach(c -> ids.add(c.id()));
    return ids;
  }

  /** {@code {count, categories, reason}} for the tool result. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.put("categories", categoryIds());
    m.put("reason", "Records in sensitive categories are withheld unless the caller's role permits them.");
    return m;
  }
}
