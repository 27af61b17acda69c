package io.custos.phi;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts the records of one tool result withheld for sensitive categories or by the patient's consent (category
 * {@value #CONSENT}), so the result says {@code "withheld": {"count": n, "categories": [...]}} instead of silently
 * dropping them
 * (withheld data is signalled as withheld). Not thread-safe: one per call.
 */
public final class WithheldTally {
  private int count;
  private final Set<SensitiveCategory> categories = EnumSet.noneOf(SensitiveCategory.class);
  /** Records withheld by the patient's consent (FHIR R4 Consent), category {@value #CONSENT}. */
  private int byConsent;

  /** The category id of records withheld by the patient's consent. */
  public static final String CONSENT = "consent";

  public void add(Set<SensitiveCategory> recordCategories) {
    count++;
    categories.addAll(recordCategories);
  }

  /** Counts one record withheld by the patient's consent. */
  public void addConsent() {
    count++;
    byConsent++;
  }

  /** Whether every withheld record was withheld by consent (none for a sensitive category). */
  public boolean onlyConsent() {
    return byConsent > 0 && byConsent == count;
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
    if (byConsent > 0) {
      ids.add(CONSENT);
    }
    return ids;
  }

  /** {@code {count, categories, reason}} for the tool result. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.put("categories", categoryIds());
    m.put("reason", byConsent == 0 ? "Records in sensitive categories are withheld unless the caller's role permits them."
        : byConsent == count ? "Records are withheld because the patient's consent does not permit them for this caller or purpose."
        : "Records in sensitive categories are withheld unless the caller's role permits them; others because the "
            + "patient's consent does not permit them for this caller or purpose.");
    return m;
  }
}
