package io.custos.sql;

import io.custos.phi.scan.IdentifierKind;
import io.custos.phi.scan.PatientIdentifiers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The legacy database's patient keys (e.g. {@code PAT.MRN}) and the FHIR Patient ids stored beside them, for the PHI
 * scan. One read-only connection, one statement over the configured patient table; the table and column names are
 * the validated ASCII names of {@link SqlSettings.Patients}, so nothing else can reach the SQL text.
 */
public final class PatientKeys {
  private PatientKeys() {}

  /**
   * Adds each row's key as {@link IdentifierKind#IDENTIFIER} and its FHIR id as {@link IdentifierKind#LOGICAL_ID}.
   *
   * @param settings validated {@code sql} settings
   * @param max      rows read at most
   * @throws SQLException when the database cannot be read (its message is not shown: it may quote a value)
   */
  public static void addTo(PatientIdentifiers ids, SqlSettings settings, int max) throws SQLException {
    SqlSettings.Patients p = settings.patients();
    try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.username(), settings.password().orElse(null))) {
      c.setReadOnly(true);
      try (Statement s = c.createStatement()) {
        s.setMaxRows(max);
        s.setQueryTimeout(settings.statementTimeoutSeconds() * 10);
        try (ResultSet rs = s.executeQuery("SELECT " + p.key() + ", " + p.fhirId() + " FROM " + p.table())) {
          while (rs.next()) {
            ids.add(IdentifierKind.IDENTIFIER, rs.getString(1));
            ids.add(IdentifierKind.LOGICAL_ID, rs.getString(2));
          }
        }
      }
    }
  }
}
