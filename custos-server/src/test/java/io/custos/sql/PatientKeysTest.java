package io.custos.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.phi.scan.IdentifierKind;
import io.custos.phi.scan.PatientIdentifiers;
import io.custos.testing.EmbeddedPostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PHI scan's identifiers from a legacy patient table (a real embedded PostgreSQL). */
class PatientKeysTest {
  @RegisterExtension
  static final EmbeddedPostgresExtension PG = new EmbeddedPostgresExtension();

  @Test
  void everyPatientKeyAndFhirIdOfThePatientTableIsSearchedFor() throws Exception {
    String url = PG.freshDatabase();
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE PAT (MRN VARCHAR(12) PRIMARY KEY, EMPI_ID VARCHAR(64) NOT NULL, LAST_NM VARCHAR(80))");
      s.execute("INSERT INTO PAT VALUES ('M000123', 'fhir-a1', 'Doe'), ('M000456', 'fhir-b2', 'Roe')");
    }
    var settings = new SqlSettings(url, "postgres", null, 1, 5, 10, false, new SqlSettings.Patients("PAT", "MRN", "EMPI_ID"),
        List.of(), List.of(), null);
    PatientIdentifiers ids = new PatientIdentifiers();
    PatientKeys.addTo(ids, settings, 100);
    assertThat(ids.byKind()).containsEntry(IdentifierKind.IDENTIFIER, Set.of("M000123", "M000456"))
        .containsEntry(IdentifierKind.LOGICAL_ID, Set.of("fhir-a1", "fhir-b2")).hasSize(2);
    PatientIdentifiers one = new PatientIdentifiers();
    PatientKeys.addTo(one, settings, 1);
    assertThat(one.size()).as("at most max rows").isEqualTo(2);
  }
}
