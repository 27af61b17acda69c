package io.custos.verify;

import io.custos.verify.merkle.MerkleHash;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A ledger a fleet of Custos servers shares in PostgreSQL, read with plain JDBC ({@code java.sql} only; the
 * PostgreSQL driver must be on the class path). Tables: {@code ledger_entry (leaf_index, entry, leaf_hash)} where a
 * pruned entry keeps only its leaf hash, {@code ledger_checkpoint (seq, note)} holding each signed checkpoint as the
 * checkpoint log writes it, {@code ledger_pruned (seq, line)} holding the pruned-range records, and
 * {@code ledger_key_transition (seq, note)} holding the checkpoint key's transition statements. One read-only
 * REPEATABLE READ transaction, so the entries, checkpoints and ranges are one consistent snapshot while the fleet
 * keeps appending.
 */
public final class JdbcLedger implements LedgerSource {
  private static final int FETCH = 4096;
  private final Connection c;
  private final String name;

  private JdbcLedger(Connection c, String name) {
    this.c = c;
    this.name = name;
  }

  /**
   * Connects to {@code url}; {@code PGUSER}/{@code PGPASSWORD} supply credentials the URL lacks.
   *
   * @throws IOException if the database is unreachable, refuses the credentials or holds no ledger
   */
  public static JdbcLedger connect(String url) throws IOException {
    return connect(url, System.getenv("PGUSER"), System.getenv("PGPASSWORD"));
  }

  /**
   * Connects to {@code url} with {@code user} and {@code password} (each may be null: then the URL's own, if any).
   *
   * @throws IOException if the database is unreachable, refuses the credentials or holds no ledger
   */
  public static JdbcLedger connect(String url, String user, String password) throws IOException {
    Properties p = new Properties();
    if (user != null && !url.contains("user=")) {
      p.setProperty("user", user);
    }
    if (password != null && !url.contains("password=")) {
      p.setProperty("password", password);
    }
    String name = url.replaceAll("[?;].*$", "");
    try {
      Connection c = DriverManager.getConnection(url, p);
      try {
        c.setAutoCommit(false); // needed for cursor-based fetching
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        c.setReadOnly(true);
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM ledger_head WHERE id = 1");
            ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("no ledger", "42P01");
          }
        }
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      return new JdbcLedger(c, name);
    } catch (SQLException e) {
      // The URL may carry a password: name only the database and the SQLState.
      throw new IOException("cannot read a ledger from " + name + " (SQLState " + e.getSQLState() + ")", e);
    }
  }

  @Override
  public boolean continuouslyCheckpointed() {
    return true;
  }

  @Override
  public String describe() {
    return name;
  }

  @Override
  public LedgerFiles.ScanResult leafHashes(List<byte[]> out) throws IOException {
    return rows((index, entry, kept) -> out.add(entry != null ? MerkleHash.leaf(entry) : kept));
  }

  @Override
  public LedgerFiles.ScanResult scan(LedgerFiles.EntryVisitor visitor) throws IOException {
    return rows((index, entry, kept) -> {
      if (entry != null) {
        visitor.visit(index, entry);
      }
    });
  }

  @FunctionalInterface
  private interface RowVisitor {
    void visit(long index, byte[] entry, byte[] keptHash) throws IOException;
  }

  /**
   * Streams the rows in index order, checking that indices are gapless and that only the recorded pruned prefix lacks
   * its ciphertext. Stops at the first such finding, as a damaged segment stops a directory scan.
   */
  private LedgerFiles.ScanResult rows(RowVisitor v) throws IOException {
    List<Finding> findings = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    PrunedRanges.Contents ranges = prunedRanges();
    for (String p : ranges.problems()) {
      findings.add(new Finding(Finding.Kind.BAD_CHECKPOINT_LOG, -1, -1, p));
    }
    long prefix = ranges.prefixEnd();
    long next = 0;
    long pruned = 0;
    try (PreparedStatement s = c.prepareStatement("SELECT leaf_index, entry, leaf_hash FROM ledger_entry ORDER BY leaf_index")) {
      s.setFetchSize(FETCH);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          long i = rs.getLong(1);
          byte[] entry = rs.getBytes(2);
          byte[] kept = rs.getBytes(3);
          if (i != next) {
            findings.add(new Finding(i > next ? Finding.Kind.DELETED : Finding.Kind.INSERTED, next, -1, "the next row after"
                + " entry " + (next - 1) + " has index " + i + ": entries " + Math.min(next, i) + ".." + (Math.max(next, i) - 1)
                + (i > next ? " are missing" : " are duplicated")));
            return new LedgerFiles.ScanResult(next, pruned, findings, warnings);
          }
          if (entry == null && (i >= prefix || kept == null || kept.length != 32)) {
            findings.add(new Finding(Finding.Kind.DELETED, i, -1, "entry " + i + " has no ciphertext"
                + (i >= prefix ? " but no pruned-range record covers it: deleted" : " and no kept leaf hash")));
            return new LedgerFiles.ScanResult(next, pruned, findings, warnings);
          }
          if (entry != null && i < prefix) {
            warnings.add("entry " + i + " was recorded as pruned but still has its ciphertext (interrupted prune)");
          }
          pruned += entry == null ? 1 : 0;
          v.visit(i, entry, kept);
          next++;
        }
      }
    } catch (SQLException e) {
      throw new IOException("ledger read failed: SQLState " + e.getSQLState(), e);
    }
    return new LedgerFiles.ScanResult(next, pruned, findings, warnings);
  }

  @Override
  public CheckpointLog.Contents checkpoints() throws IOException {
    return CheckpointLog.parse(lines("SELECT note FROM ledger_checkpoint ORDER BY seq", ""), name + " ledger_checkpoint");
  }

  @Override
  public List<byte[]> recordedLeafHashes() throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement("SELECT leaf_hash FROM ledger_entry ORDER BY leaf_index")) {
      s.setFetchSize(FETCH);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byte[] h = rs.getBytes(1);
          if (h == null || h.length != 32) {
            break; // the recorded hashes end here; localisation uses what precedes
          }
          out.add(h);
        }
      }
    } catch (SQLException e) {
      throw new IOException("ledger read failed: SQLState " + e.getSQLState(), e);
    }
    return out;
  }

  @Override
  public PrunedRanges.Contents prunedRanges() throws IOException {
    return PrunedRanges.parse(lines("SELECT line FROM ledger_pruned ORDER BY seq", "\n"), name + " ledger_pruned");
  }

  @Override
  public KeyTransitions.Contents keyTransitions() throws IOException {
    return KeyTransitions.parse(lines("SELECT note FROM ledger_key_transition ORDER BY seq", ""));
  }

  /** Concatenates one text column of a query, each value followed by {@code terminator}. */
  private String lines(String sql, String terminator) throws IOException {
    StringBuilder b = new StringBuilder();
    try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        b.append(rs.getString(1)).append(terminator);
      }
    } catch (SQLException e) {
      throw new IOException("ledger read failed: SQLState " + e.getSQLState(), e);
    }
    return b.toString();
  }

  @Override
  public void close() throws IOException {
    try {
      c.rollback();
      c.close();
    } catch (SQLException e) {
      throw new IOException("closing the ledger connection failed: SQLState " + e.getSQLState(), e);
    }
  }
}
