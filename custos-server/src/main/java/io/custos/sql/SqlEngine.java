package io.custos.sql;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The relational engines the SQL upstream reads, told apart by the JDBC URL's scheme, and what differs between them:
 * how a session is made read-only with a server-side statement timeout, which SQLStates mean that timeout, which
 * schemas are system catalogs, how a catalog name is written in a rendered statement, and how a SELECT-only account is
 * created. Grant inspection ({@link GrantInspection}) and the planner ({@link SqlPlanner}) ask the engine; the rest of
 * the path is one.
 */
public enum SqlEngine {
  /** PostgreSQL ({@code jdbc:postgresql:}); unquoted names, which PostgreSQL folds as it folded the operator's DDL. */
  POSTGRESQL("jdbc:postgresql:", "PostgreSQL", Set.of("PG_CATALOG", "INFORMATION_SCHEMA", "PG_TOAST"), "PG_",
      Set.of("57014"), true),
  /**
   * MariaDB ({@code jdbc:mariadb:}, MariaDB Connector/J); names in backticks, so a catalog name that is a MariaDB reserved
   * word still names the column. The timeout is {@code max_statement_time} (error 1969, SQLState 70100); MariaDB has
   * no {@code NULLS FIRST/LAST}.
   */
  MARIADB("jdbc:mariadb:", "MariaDB", Set.of("INFORMATION_SCHEMA", "MYSQL", "PERFORMANCE_SCHEMA", "SYS"), "",
      Set.of("70100"), false);

  private final String scheme;
  private final String title;
  private final Set<String> systemSchemas;
  private final String systemPrefix;
  private final Set<String> timeoutStates;
  private final boolean nullsOrdering;

  SqlEngine(String scheme, String title, Set<String> systemSchemas, String systemPrefix, Set<String> timeoutStates,
      boolean nullsOrdering) {
    this.scheme = scheme;
    this.title = title;
    this.systemSchemas = systemSchemas;
    this.systemPrefix = systemPrefix;
    this.timeoutStates = timeoutStates;
    this.nullsOrdering = nullsOrdering;
  }

  /** The engine of a JDBC URL ({@code jdbc:postgresql://...}, {@code jdbc:mariadb://...}); empty for any other. */
  public static Optional<SqlEngine> of(String jdbcUrl) {
    for (SqlEngine e : values()) {
      if (jdbcUrl != null && jdbcUrl.regionMatches(true, 0, e.scheme, 0, e.scheme.length())) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** The URL scheme, e.g. {@code jdbc:mariadb:}. */
  public String scheme() {
    return scheme;
  }

  /** The engine's name, e.g. {@code MariaDB}. */
  public String title() {
    return title;
  }

  /**
   * One statement run on every new pooled connection: every later transaction of the session is read-only, and the
   * server itself ends a statement running longer than {@code timeoutSeconds} (besides the driver's query timeout).
   * PostgreSQL's dates also read as ISO 8601 text ({@code DateStyle}), which {@link IdentifierKind#reduced} relies on.
   */
  String sessionSetup(int timeoutSeconds) {
    return switch (this) {
      case POSTGRESQL -> "SELECT set_config('default_transaction_read_only', 'on', false), set_config('statement_timeout', '"
          + timeoutSeconds * 1000 + "', false), set_config('DateStyle', 'ISO', false)";
      case MARIADB -> "SET SESSION tx_read_only = 1, SESSION max_statement_time = " + timeoutSeconds;
    };
  }

  /** Whether a failure's SQLState means the statement timeout ended it. */
  boolean timedOut(String sqlState) {
    return sqlState != null && timeoutStates.contains(sqlState);
  }

  /** Whether {@code name} (a schema, or an unqualified table) is one of the engine's system catalogs. */
  boolean systemCatalog(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return systemSchemas.contains(upper) || !systemPrefix.isEmpty() && upper.startsWith(systemPrefix);
  }

  /** A catalog name (already checked against {@link SqlSettings#NAME}: ASCII letters, digits, underscores) in a statement. */
  String identifier(String name) {
    return this == MARIADB ? '`' + name + '`' : name;
  }

  /** Whether {@code ORDER BY ... NULLS FIRST | NULLS LAST} can be rendered. */
  boolean nullsOrdering() {
    return nullsOrdering;
  }

  /** An allowlisted function's name as rendered: {@code LENGTH} counts characters on both (MariaDB's counts bytes). */
  String function(String name) {
    return this == MARIADB && name.equals("LENGTH") ? "CHAR_LENGTH" : name;
  }

  /**
   * The statements that create a login account that may only read {@code tables} (SELECT, nothing else). PostgreSQL
   * also takes CREATE on schema {@code public} from every role (granted by default before PostgreSQL 15).
   *
   * @param role     a plain name ({@link SqlSettings#NAME})
   * @param password without a single quote
   */
  List<String> createReader(String role, String password, List<String> tables) {
    return switch (this) {
      case POSTGRESQL -> List.of("REVOKE CREATE ON SCHEMA public FROM PUBLIC", "CREATE ROLE " + role + " LOGIN PASSWORD '"
          + password + "'", "GRANT SELECT ON " + String.join(", ", tables) + " TO " + role);
      case MARIADB -> Stream.concat(
          Stream.of("CREATE USER '" + role + "'@'%' IDENTIFIED BY '" + password + "'"),
          tables.stream().map(t -> "GRANT SELECT ON " + identifier(t) + " TO '" + role + "'@'%'")).toList();
    };
  }
}
