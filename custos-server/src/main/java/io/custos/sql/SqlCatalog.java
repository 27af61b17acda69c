package io.custos.sql;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The tables and views Custos may read from the SQL upstream and the classification of each of their columns, as
 * configured ({@code sql.tables}, and the de-identified views of {@code sql.research.views}). Names are matched without
 * regard to case, as SQL folds unquoted names.
 */
public final class SqlCatalog {
  private final Map<String, SqlSettings.Table> tables = new LinkedHashMap<>();
  private final SqlSettings.Patients patients;
  private final List<SqlSettings.View> views;

  SqlCatalog(List<SqlSettings.Table> tables, SqlSettings.Patients patients) {
    this(tables, patients, List.of());
  }

  /** With de-identified views, read as tables by the researchers' tool only. */
  SqlCatalog(List<SqlSettings.Table> tables, SqlSettings.Patients patients, List<SqlSettings.View> views) {
    tables.forEach(t -> this.tables.put(t.name().toUpperCase(Locale.ROOT), t));
    views.forEach(v -> this.tables.put(v.name().toUpperCase(Locale.ROOT), v.table()));
    this.patients = patients;
    this.views = List.copyOf(views);
  }

  /** The table called {@code name} (any case). */
  Optional<SqlSettings.Table> table(String name) {
    return Optional.ofNullable(tables.get(name.toUpperCase(Locale.ROOT)));
  }

  /** The column {@code name} (any case) of {@code table}: its configured name and classification. */
  static Optional<Map.Entry<String, SqlSettings.Column>> column(SqlSettings.Table table, String name) {
    return table.columns().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst();
  }

  /** Every table (not the views), in configuration order. */
  List<SqlSettings.Table> tables() {
    return tables.values().stream().filter(t -> views.stream().noneMatch(v -> v.name().equals(t.name()))).toList();
  }

  /** The de-identified views, in configuration order. */
  List<SqlSettings.View> views() {
    return views;
  }

  SqlSettings.Patients patients() {
    return patients;
  }
}
