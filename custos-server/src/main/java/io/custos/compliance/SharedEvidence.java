package io.custos.compliance;

import io.custos.phi.scan.PhiScanResult;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A fleet's compliance evidence in table {@code custos_evidence} of its state database (migration {@code db/state}):
 * the last PHI scan run against any replica, so the report of every replica shows it.
 */
public final class SharedEvidence {
  private static final String PHI_SCAN = "phi-scan";
  private final DataSource db;

  /** @param db the fleet's state database (migrated) */
  public SharedEvidence(DataSource db) {
    this.db = db;
  }

  /** Keeps {@code result} as the fleet's last PHI scan. @throws IOException when the database cannot be written */
  public void savePhiScan(PhiScanResult result) throws IOException {
    try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
        "INSERT INTO custos_evidence (kind, document, recorded_at) VALUES (?, ?, now())"
            + " ON CONFLICT (kind) DO UPDATE SET document = EXCLUDED.document, recorded_at = EXCLUDED.recorded_at")) {
      s.setString(1, PHI_SCAN);
      s.setString(2, new String(result.document(), java.nio.charset.StandardCharsets.UTF_8));
      s.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("compliance evidence unavailable (SQLState " + e.getSQLState() + ")", e);
    }
  }

  /** The fleet's last PHI scan; empty when none was recorded. @throws IOException when the database cannot be read */
  public Optional<PhiScanResult> lastPhiScan() throws IOException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT document FROM custos_evidence WHERE kind = ?")) {
      s.setString(1, PHI_SCAN);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(PhiScanResult.parse(rs.getString(1).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IOException("compliance evidence unavailable (SQLState " + e.getSQLState() + ")", e);
    }
  }
}
