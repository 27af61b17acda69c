package io.custos.writes;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Storage of write proposals by proposal id. Only storage and atomicity live here; which transitions are allowed
 * (approval, commit at most once, expiry) is decided by {@link ProposalStore}, the same for every implementation.
 */
public interface ProposalRecords {
  /**
   * Stores a new record, first dropping records whose proposal expired before {@code dropExpiredBefore} (finished
   * proposals are remembered a while after expiry so that a replay is recognised as one).
   *
   * @return false, storing nothing, when the store holds as many proposals as it may
   */
  boolean insert(ProposalStore.Snapshot record, Instant dropExpiredBefore);

  /** The record of proposal {@code id}, if stored. */
  Optional<ProposalStore.Snapshot> find(String id);

  /**
   * Atomically replaces the record of {@code id} with {@code change} applied to it. If {@code change} throws, the
   * record is unchanged and the exception propagates. {@code change} must be a pure function of its argument (a
   * shared implementation may apply it again after a concurrent update).
   *
   * @return the new record, or empty when no record has that id ({@code change} is then not applied)
   */
  Optional<ProposalStore.Snapshot> update(String id, UnaryOperator<ProposalStore.Snapshot> change);

  /**
   * The proposals awaiting a decision by {@code subject}: proposed by that user ({@link Proposal#subject()}, the
   * only person who may approve them), still {@link Proposal.State#PENDING} (neither approved, rejected nor
   * committed) and not expired at {@code now} ({@code now} before {@link Proposal#expiresAt()}). Ordered oldest
   * proposal first ({@link Proposal#createdAt()}, then id), at most {@code limit} of them.
   *
   * @param limit the page size, at least 1
   */
  List<ProposalStore.Snapshot> pending(String subject, Instant now, int limit);
}
