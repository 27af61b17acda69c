package io.custos.sql;

import io.custos.phi.SyntheaFixture;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A legacy database for tests and benchmarks: embedded PostgreSQL 14 (zonky) holding {@link LegacySchema} loaded from
 * the Synthea fixture's CSV export (the same five patients as the FHIR fixture), and the SELECT-only login role
 * {@link #READER} whose random password is kept in a file. Synthetic data only.
 *
 * @param pg           the running database
 * @param dataDir      its data directory
 * @param jdbcUrl      the reader's JDBC URL
 * @param password     the reader's password
 * @param passwordFile the file holding it
 */
public record LegacyPostgres(EmbeddedPostgres pg, Path dataDir, String jdbcUrl, String password, Path passwordFile)
    implements AutoCloseable {
  /** The reader role Custos connects as. */
  public static final String READER = "custos_reader";

  /**
   * Starts the database with its data in {@code dir/legacy-pg} (emptied first) and the password in
   * {@code dir/legacy-sql.password}, then loads the schema and creates the reader.
   *
   * @throws Exception when PostgreSQL does not start or a statement fails
   */
  public static LegacyPostgres start(Path dir) throws Exception {
    Path data = dir.resolve("legacy-pg");
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(true)
        .setPgBinaryResolver(LegacyPostgres::firstBinary).start();
    byte[] secret = new byte[18];
    new SecureRandom().nextBytes(secret);
    String password = HexFormat.of().formatHex(secret);
    Path file = dir.resolve("legacy-sql.password");
    Files.writeString(file, password);
    try (Connection owner = pg.getPostgresDatabase().getConnection()) {
      owner.setAutoCommit(true);
      LegacySchema.load(owner, SyntheaFixture.directory().resolve("csv"));
      LegacySchema.createReader(owner, READER, password);
    }
    return new LegacyPostgres(pg, data, pg.getJdbcUrl(READER, "postgres"), password, file);
  }

  /**
   * The first PostgreSQL archive on the class path. The integration tests' class path holds the packaged (shaded) jar
   * beside the binaries' own jar, and zonky's default resolver refuses two copies of the same archive.
   */
  private static InputStream firstBinary(String system, String machine) throws IOException {
    String name = ("postgres-" + system + "-" + machine + ".txz").toLowerCase(java.util.Locale.ROOT);
    InputStream in = LegacyPostgres.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IOException("no " + name + " on the class path");
    }
    return in;
  }

  /** The {@code sql} section of {@code custos.yaml} for this database: the demo's tables, tools and {@code sql_query}. */
  public String configSection() {
    return LegacySchema.configSection(jdbcUrl, READER, passwordFile);
  }

  /**
   * Each patient's MRN by FHIR Patient id ({@code PAT.EMPI_ID}), read as the owner.
   *
   * @throws SQLException when the query fails
   */
  public Map<String, String> mrnByFhirId() throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection owner = pg.getPostgresDatabase().getConnection();
        ResultSet rs = owner.createStatement().executeQuery("SELECT EMPI_ID, MRN FROM PAT ORDER BY MRN")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    pg.close();
  }
}
