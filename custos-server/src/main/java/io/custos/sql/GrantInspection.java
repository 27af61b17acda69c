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
 * What the database account may change, read from the database's own catalog at start-up.
 *
 * <ul>
 *   <li>PostgreSQL: {@code has_table_privilege} (ownership too), {@code has_schema_privilege} and
 *       {@code has_database_privilege} ({@code CREATE}) and the role's attributes.
 *   <li>MariaDB: the account's rows of {@code information_schema} {@code USER_PRIVILEGES}, {@code SCHEMA_PRIVILEGES},
 *       {@code TABLE_PRIVILEGES} and {@code COLUMN_PRIVILEGES}; any privilege but {@code SELECT}, {@code SHOW VIEW} and
 *       {@code USAGE}, or any grant option, counts. A role granted to the account counts too (fail closed:
 *       {@code information_schema} does not show a role's privileges to its grantee); and every line of
 *       {@code SHOW GRANTS} is read too, for what only it lists: grants {@code TO PUBLIC} (MariaDB 10.11),
 *       routine-level {@code EXECUTE} and {@code PROXY}.
 * </ul>
 */
final class GrantInspection {
  private GrantInspection() {}

  /** Privileges that cannot change data, schema or grants. */
  private static final List<String> READ_ONLY = List.of("SELECT", "SHOW VIEW", "USAGE");
  /** The account as {@code information_schema} spells a grantee: {@code 'user'@'host'}. */
  private static final String MARIADB_GRANTEE = "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', "
      + "SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";

  /** Descriptions of what the account can change (no data values), at most 10; empty when it can only read. */
  static List<String> writable(DataSource ds, SqlEngine engine) throws SQLException {
    try (Connection c = ds.getConnection()) {
      try {
        List<String> found = new ArrayList<>();
        for (String sql : queries(engine)) {
          query(c, sql, found);
        }
        if (engine == SqlEngine.MARIADB) {
          showGrants(c, found);
        }
        return found;
      } finally {
        c.rollback();
      }
    }
  }

  /** Each query returns one description per privilege that can write. */
  private static List<String> queries(SqlEngine engine) {
    return switch (engine) {
      case POSTGRESQL -> List.of(
          "SELECT 'superuser or role with CREATEROLE/CREATEDB' FROM pg_roles WHERE rolname = current_user"
              + " AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)",
          "SELECT 'write on ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
              + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
              + " AND n.nspname NOT LIKE 'pg_toast%' AND (pg_get_userbyid(c.relowner) = current_user"
              + " OR has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))",
          "SELECT 'CREATE on database ' || current_database() WHERE has_database_privilege(current_database(), 'CREATE')",
          "SELECT 'CREATE on schema ' || nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
              + " AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%' AND has_schema_privilege(oid, 'CREATE')");
      case MARIADB -> List.of(
          mariaDbPrivileges("USER_PRIVILEGES", "'*.*'"),
          mariaDbPrivileges("SCHEMA_PRIVILEGES", "TABLE_SCHEMA, '.*'"),
          mariaDbPrivileges("TABLE_PRIVILEGES", "TABLE_SCHEMA, '.', TABLE_NAME"),
          mariaDbPrivileges("COLUMN_PRIVILEGES", "TABLE_SCHEMA, '.', TABLE_NAME, '.', COLUMN_NAME"),
          "SELECT CONCAT('role ', ROLE_NAME, ' (grant the account SELECT directly; roles are not inspected)')"
              + " FROM information_schema.APPLICABLE_ROLES");
    };
  }

  private static String mariaDbPrivileges(String view, String object) {
    return "SELECT CONCAT(PRIVILEGE_TYPE, IF(IS_GRANTABLE = 'YES', ' WITH GRANT OPTION', ''), ' on ', " + object + ")"
        + " FROM information_schema." + view + " WHERE GRANTEE = " + MARIADB_GRANTEE
        + " AND (PRIVILEGE_TYPE NOT IN (" + String.join(", ", READ_ONLY.stream().map(p -> "'" + p + "'").toList())
        + ") OR IS_GRANTABLE = 'YES')";
  }

  /**
   * Every line of MariaDB's {@code SHOW GRANTS}: the account's own grants, its roles and the grants to {@code PUBLIC}
   * (which every account holds), including what {@code information_schema} does not show (routine-level
   * {@code EXECUTE}, {@code PROXY}). A line {@code GRANT <privilege>[ (<columns>)], ... ON <object> TO <grantee>[ ...
   * WITH GRANT OPTION]} counts for each privilege outside {@link #READ_ONLY}, or for all with a grant option; a role
   * granted ({@code GRANT <role> TO ...}) counts; any other line counts too (fail closed). Only privileges and objects
   * are described, never what follows the grantee (a password hash).
   */
  private static void showGrants(Connection c, List<String> out) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SHOW GRANTS"); ResultSet rs = ps.executeQuery()) {
      while (rs.next() && out.size() < 10) {
        String line = rs.getString(1);
        int on = line.indexOf(" ON ");
        int to = on < 0 ? line.indexOf(" TO ") : line.indexOf(" TO ", on);
        if (!line.startsWith("GRANT ") || to < 0) {
          out.add("a grant that could not be read");
          continue;
        }
        if (on < 0) {
          out.add("role granted by SHOW GRANTS (grant the account SELECT directly; roles are not inspected)");
          continue;
        }
        String object = line.substring(on + " ON ".length(), to);
        String grantee = line.substring(to + " TO ".length());
        String whom = grantee.startsWith("PUBLIC") ? " to PUBLIC" : "";
        boolean grantOption = grantee.contains(" WITH GRANT OPTION");
        for (String privilege : line.substring("GRANT ".length(), on).replaceAll("\\([^)]*\\)", "").split(",")) {
          String p = privilege.strip().toUpperCase(Locale.ROOT);
          if (grantOption || !READ_ONLY.contains(p)) {
            out.add(p + (grantOption ? " WITH GRANT OPTION" : "") + " on " + object + whom);
          }
        }
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
