package io.custos.sql;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The tables and views Custos may read from the SQL upstream and the classification of each of their columns, as
 * configured ({@code sql.tables}). Names are matched without regard to case, as SQL folds unquoted names.
 */
public final class SqlCatalog {
  private final Map<String, SqlSettings.Table> tables = new LinkedHashMap<>();
  private final SqlSettings.Patients patients;

  SqlCatalog(List<SqlSettings.Table> tables, SqlSettings.Patients patients) {
    tables.forEach(t -> this.tables.put(t.name().toUpperCase(Locale.ROOT), t));
    this.patients = patients;
  }

  /** The table called {@code name} (any case). */
  Optional<SqlSettings.Table> table(String name) {
    return Optional.ofNullable(tables.get(name.toUpperCase(Locale.ROOT)));
  }

  /** The column {@code name} (any case) of {@code table}: its configured name and classification. */
  static Optional<Map.Entry<String, SqlSettings.Column>> column(SqlSettings.Table table, String name) {
    return table.columns().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst();
  }

  /** Every table, in configuration order. */
  List<SqlSettings.Table> tables() {
    return List.copyOf(tables.values());
  }

  SqlSettings.Patients patients() {
    return patients;
  }
}
