package io.custos.state;

import io.custos.writes.ProposalRecords;
import io.custos.writes.ProposalStore;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** Proposals in a map of bounded size; every operation is one synchronized step. */
final class InProcessProposals implements ProposalRecords {
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
}
