package io.custos.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.custos.fhir.WriteOutcome;
import io.custos.writes.Proposal;
import io.custos.writes.ProposalRecords;
import io.custos.writes.ProposalStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Proposals in {@code custos_proposal}, one JSON record per proposal: durable, so they survive a restart. An update
 * is a transaction on the row locked {@code FOR UPDATE}, so of concurrent transitions on any servers each sees the one
 * before it (a proposal is committed at most once). Inserts are serialized by a transaction-scoped advisory lock so the
 * bound on the number held is exact across servers.
 */
final class PostgresProposals implements ProposalRecords {
  /** Advisory lock key of proposal inserts (any constant distinct from other users of advisory locks). */
  private static final long INSERT_LOCK = 0x637573746f730001L;
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  /** The stored JSON form of a snapshot (absent parts are null in JSON only). */
  private record Stored(Proposal proposal, Proposal.State state, Proposal.Approval approval, WriteOutcome written) {
    static Stored of(ProposalStore.Snapshot s) {
      return new Stored(s.proposal(), s.state(), s.approval().orElse(null), s.written().orElse(null));
    }

    ProposalStore.Snapshot snapshot() {
      return new ProposalStore.Snapshot(proposal, state, Optional.ofNullable(approval), Optional.ofNullable(written));
    }
  }

  private final Jdbc db;
  private final int capacity;

  PostgresProposals(Jdbc db, int capacity) {
    this.db = db;
    this.capacity = capacity;
  }

  @Override
  public boolean insert(ProposalStore.Snapshot record, Instant dropExpiredBefore) {
    return db.transaction("proposals", c -> {
      try (var lock = Jdbc.prepare(c, "SELECT pg_advisory_xact_lock(?)", INSERT_LOCK)) {
        lock.execute();
      }
      Jdbc.update(c, "DELETE FROM custos_proposal WHERE expires_at < ?", dropExpiredBefore);
      try (var count = Jdbc.prepare(c, "SELECT count(*) FROM custos_proposal"); ResultSet rs = count.executeQuery()) {
        rs.next();
        if (rs.getLong(1) >= capacity) {
          return false;
        }
      }
      Jdbc.update(c, "INSERT INTO custos_proposal (id, record, expires_at) VALUES (?, ?::jsonb, ?)", record.proposal().id(),
          json(record), record.proposal().expiresAt());
      return true;
    });
  }

  @Override
  public Optional<ProposalStore.Snapshot> find(String id) {
    return db.auto("proposals", c -> read(c, id, false));
  }

  @Override
  public Optional<ProposalStore.Snapshot> update(String id, UnaryOperator<ProposalStore.Snapshot> change) {
    return db.transaction("proposals", c -> {
      Optional<ProposalStore.Snapshot> current = read(c, id, true);
      if (current.isEmpty()) {
        return current;
      }
      ProposalStore.Snapshot next = change.apply(current.get());
      Jdbc.update(c, "UPDATE custos_proposal SET record = ?::jsonb WHERE id = ?", json(next), id);
      return Optional.of(next);
    });
  }

  /** By the partial index on (subject, expiry) of pending records; the page is ordered in the database. */
  @Override
  public List<ProposalStore.Snapshot> pending(String subject, Instant now, int limit) {
    return db.auto("proposals", c -> {
      List<ProposalStore.Snapshot> out = new ArrayList<>();
      try (var s = Jdbc.prepare(c, "SELECT record FROM custos_proposal WHERE record->'proposal'->>'subject' = ?"
              + " AND record->>'state' = 'PENDING' AND expires_at > ?"
              + " ORDER BY (record->'proposal'->>'createdAt')::timestamptz, id LIMIT ?", subject, now, limit);
          ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(snapshot(rs.getString(1)));
        }
      }
      return out;
    });
  }

  private static Optional<ProposalStore.Snapshot> read(Connection c, String id, boolean forUpdate) throws SQLException {
    try (var s = Jdbc.prepare(c, "SELECT record FROM custos_proposal WHERE id = ?" + (forUpdate ? " FOR UPDATE" : ""), id);
        ResultSet rs = s.executeQuery()) {
      return rs.next() ? Optional.of(snapshot(rs.getString(1))) : Optional.empty();
    }
  }

  private static ProposalStore.Snapshot snapshot(String json) {
    try {
      return JSON.readValue(json, Stored.class).snapshot();
    } catch (JsonProcessingException e) {
      // Only this class writes the column; a record it cannot read was altered outside Custos.
      throw new IllegalStateException("a stored proposal record is not readable", e);
    }
  }

  private static String json(ProposalStore.Snapshot s) {
    try {
      return JSON.writeValueAsString(Stored.of(s));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a proposal record could not be serialized", e);
    }
  }
}
