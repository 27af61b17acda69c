package io.custos.sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * What the database account may change, read from the database's own catalog at start-up: PostgreSQL's
 * {@code has_table_privilege} (ownership too), {@code has_schema_privilege} and {@code has_database_privilege} ({@code CREATE})
 * and the role's attributes;
 * for other engines, whose grants Custos does not read, the account is reported as possibly writable (fail closed).
 */
final class GrantInspection {
  private GrantInspection() {}

  /** Descriptions of what the account can change (no data values); empty when it can only read. */
  static List<String> writable(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      try {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (!product.contains("postgresql")) {
          return List.of("grants of " + product + " are not inspected");
        }
        List<String> found = new ArrayList<>();
        query(c, "SELECT 'superuser or role with CREATEROLE/CREATEDB' FROM pg_roles WHERE rolname = current_user"
            + " AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)", found);
        query(c, "SELECT 'write on ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg_toast%' AND (pg_get_userbyid(c.relowner) = current_user"
            + " OR has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))", found);
        query(c, "SELECT 'CREATE on database ' || current_database() WHERE has_database_privilege(current_database(), 'CREATE')",
            found);
        query(c, "SELECT 'CREATE on schema ' || nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%' AND has_schema_privilege(oid, 'CREATE')", found);
        return found;
      } finally {
        c.rollback();
      }
    }
  }

  private static void query(Connection c, String sql, List<String> out) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      while (rs.next() && out.size() < 10) {
        out.add(rs.getString(1));
      }
    }
  }
}
