package io.custos.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.policy.AlertSink;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet's alerts in table {@code custos_alert} of the state database: every replica's alert sinks write here (as
 * well as to their own alert log file) and every replica's console reads here, so an alert raised anywhere is triaged
 * once. An alert id is stored once; a repeated delivery of the same alert is ignored.
 */
public final class PostgresAlertLog implements AlertLog, AlertSink {
  private static final Logger log = LoggerFactory.getLogger(PostgresAlertLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final DataSource db;

  /** @param db the fleet's state database (migrated) */
  public PostgresAlertLog(DataSource db) {
    this.db = db;
  }

  /** Records {@code alert}; a database failure is logged (alert id and SQLState only) and the other sinks go on. */
  @Override
  public void alert(Alert alert) {
    try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
        "INSERT INTO custos_alert (id, document) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")) {
      s.setString(1, alert.id());
      s.setString(2, JSON.writeValueAsString(alert.document()));
      s.executeUpdate();
    } catch (SQLException e) {
      log.error("alert {} not stored in the fleet database (SQLState {})", alert.id(), e.getSQLState());
    } catch (JsonProcessingException e) {
      log.error("alert {} not stored in the fleet database: not serializable", alert.id());
    }
  }

  @Override
  public List<Alert> recent(int max) throws IOException {
    List<Alert> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT document FROM custos_alert ORDER BY seq DESC LIMIT ?")) {
      s.setInt(1, max);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          JsonLinesAlertLog.parse(rs.getString(1)).ifPresent(out::add);
        }
      }
    } catch (SQLException e) {
      throw new IOException("alerts unavailable (SQLState " + e.getSQLState() + ")", e);
    }
    return out;
  }
}
