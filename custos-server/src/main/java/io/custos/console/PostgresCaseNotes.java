package io.custos.console;

import com.google.crypto.tink.Aead;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A fleet's case notes in table {@code custos_case_note} of the state database (migration {@code db/state}), sealed as
 * {@link CaseNotes} describes, so the console of every replica reads the notes written at any other.
 */
public final class PostgresCaseNotes implements CaseNotes {
  private final DataSource db;
  private final Aead aead;

  /**
   * @param db   the fleet's state database (migrated)
   * @param aead the ledger keyset's AEAD, shared by every replica
   */
  public PostgresCaseNotes(DataSource db, Aead aead) {
    this.db = db;
    this.aead = aead;
  }

  @Override
  public void add(String eventId, String text) throws IOException {
    String sealed = CaseNotes.seal(aead, eventId, text);
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("INSERT INTO custos_case_note (event_id, sealed) VALUES (?, ?)")) {
      s.setString(1, eventId);
      s.setString(2, sealed);
      s.executeUpdate();
    } catch (SQLException e) {
      throw new IOException("case notes unavailable (SQLState " + e.getSQLState() + ")", e);
    }
  }

  @Override
  public Map<String, String> all() throws IOException {
    Map<String, String> out = new HashMap<>();
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT event_id, sealed FROM custos_case_note");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString(1);
        CaseNotes.open(aead, id, rs.getString(2)).ifPresent(t -> out.put(id, t));
      }
    } catch (SQLException e) {
      throw new IOException("case notes unavailable (SQLState " + e.getSQLState() + ")", e);
    }
    return out;
  }
}
