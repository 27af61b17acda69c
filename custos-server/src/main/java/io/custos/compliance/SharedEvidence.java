package io.custos.compliance;

import io.custos.phi.scan.PhiScanResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * A fleet's compliance evidence in its state database (migrations {@code db/state}): the latest PHI scan of each
 * replica (table {@code custos_phi_scan}, keyed by the replica id the scan recorded), so the report of every replica
 * shows them all and one replica's passing scan never hides another's failing one.
 */
public final class SharedEvidence {
  private final DataSource db;

  /** @param db the fleet's state database (migrated) */
  public SharedEvidence(DataSource db) {
    this.db = db;
  }

  /**
   * Keeps {@code result} as its replica's latest PHI scan, replacing that replica's previous one only.
   *
   * @throws IllegalArgumentException when the result names no replica
   * @throws IOException              when the database cannot be written
   */
  public void savePhiScan(PhiScanResult result) throws IOException {
    String replica = result.coverage().replica()
        .orElseThrow(() -> new IllegalArgumentException("a fleet's PHI scan must name its replica"));
    try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
        "INSERT INTO custos_phi_scan (replica, document, recorded_at) VALUES (?, ?, now())"
            + " ON CONFLICT (replica) DO UPDATE SET document = EXCLUDED.document, recorded_at = EXCLUDED.recorded_at")) {
      s.setString(1, replica);
      s.setString(2, new String(result.document(), StandardCharsets.UTF_8));
      s.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("compliance evidence unavailable (SQLState " + e.getSQLState() + ")", e);
    }
  }

  /**
   * Removes the record of a replica that no longer runs (a Deployment's pods get new names at each rollout), so the
   * report stops asking for its scan. Only a record older than the report's staleness bound can be removed: it no
   * longer counts as evidence either way, so removing it can never turn a recent failing or inconclusive scan into a
   * passing report.
   *
   * @return whether a record was removed (false: none for {@code replica}, or it is recent)
   * @throws IOException when the database cannot be written
   */
  public boolean forgetStalePhiScan(String replica, Instant now) throws IOException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("DELETE FROM custos_phi_scan WHERE replica = ? AND recorded_at < ?")) {
      s.setString(1, replica);
      s.setTimestamp(2, Timestamp.from(now.minus(ComplianceChecks.MAX_PHI_SCAN_AGE)));
      return s.executeUpdate() > 0;
    } catch (SQLException e) {
      throw new IOException("compliance evidence unavailable (SQLState " + e.getSQLState() + ")", e);
    }
  }

  /** Each replica's latest PHI scan, by replica id; empty when none was recorded. @throws IOException when unreadable */
  public List<PhiScanResult> latestPhiScans() throws IOException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT document FROM custos_phi_scan ORDER BY replica");
        ResultSet rs = s.executeQuery()) {
      List<PhiScanResult> out = new ArrayList<>();
      while (rs.next()) {
        out.add(PhiScanResult.parse(rs.getString(1).getBytes(StandardCharsets.UTF_8)));
      }
      return out;
    } catch (SQLException e) {
      throw new IOException("compliance evidence unavailable (SQLState " + e.getSQLState() + ")", e);
    }
  }
}
