package io.custos.state;

import io.custos.writes.Proposal;
import io.custos.writes.ProposalRecords;
import io.custos.writes.ProposalStore;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** Proposals in a map of bounded size; every operation is one synchronized step. */
final class InProcessProposals implements ProposalRecords {
  private static final Comparator<ProposalStore.Snapshot> OLDEST_FIRST = Comparator
      .<ProposalStore.Snapshot, Instant>comparing(r -> r.proposal().createdAt()).thenComparing(r -> r.proposal().id());

  private final int capacity;
  private final Map<String, ProposalStore.Snapshot> entries = new LinkedHashMap<>();

  InProcessProposals(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public synchronized boolean insert(ProposalStore.Snapshot record, Instant dropExpiredBefore) {
    entries.values().removeIf(r -> r.proposal().expiresAt().isBefore(dropExpiredBefore));
    if (entries.size() >= capacity) {
      return false;
    }
    entries.put(record.proposal().id(), record);
    return true;
  }

  @Override
  public synchronized Optional<ProposalStore.Snapshot> find(String id) {
    return Optional.ofNullable(entries.get(id));
  }

  @Override
  public synchronized Optional<ProposalStore.Snapshot> update(String id, UnaryOperator<ProposalStore.Snapshot> change) {
    ProposalStore.Snapshot current = entries.get(id);
    if (current == null) {
      return Optional.empty();
    }
    ProposalStore.Snapshot next = change.apply(current);
    entries.put(id, next);
    return Optional.of(next);
  }

  @Override
  public synchronized List<ProposalStore.Snapshot> pending(String subject, Instant now, int limit) {
    return entries.values().stream()
        .filter(r -> r.state() == Proposal.State.PENDING && r.proposal().subject().equals(subject)
            && now.isBefore(r.proposal().expiresAt()))
        .sorted(OLDEST_FIRST).limit(limit).toList();
  }
}
