package io.custos.incident;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A fleet's incident records in table {@code custos_incident} of the state database (migration {@code db/state}). Its
 * {@code alert_id} is unique, so "one incident per alert" holds across replicas: of two escalations at once, the
 * second insert does nothing ({@code ON CONFLICT DO NOTHING}) and its replica takes the first one's incident.
 */
public final class PostgresIncidentStore implements IncidentStore {
  private final DataSource db;

  /** @param db the fleet's state database (migrated) */
  public PostgresIncidentStore(DataSource db) {
    this.db = db;
  }

  @Override
  public Optional<String> create(String id, String alertId, byte[] record) throws IOException {
    try (Connection c = db.getConnection()) {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO custos_incident (id, alert_id, record, record_sha256)"
          + " VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING")) {
        s.setString(1, id);
        s.setString(2, alertId);
        s.setString(3, new String(record, StandardCharsets.UTF_8));
        s.setString(4, Incidents.sha256(record));
        if (s.executeUpdate() == 1) {
          return Optional.empty();
        }
      }
      try (PreparedStatement s = c.prepareStatement("SELECT id FROM custos_incident WHERE alert_id = ?")) {
        s.setString(1, alertId);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            throw new IOException("incident store: the alert's incident was removed meanwhile");
          }
          return Optional.of(rs.getString(1));
        }
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  @Override
  public Optional<byte[]> read(String id) throws IOException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT record FROM custos_incident WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1).getBytes(StandardCharsets.UTF_8)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  @Override
  public void remove(String id) throws IOException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("DELETE FROM custos_incident WHERE id = ?")) {
      s.setString(1, id);
      s.executeUpdate();
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  private static IOException unavailable(SQLException e) {
    return new IOException("incident store unavailable (SQLState " + e.getSQLState() + ")", e);
  }
}
