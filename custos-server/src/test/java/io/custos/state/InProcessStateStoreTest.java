package io.custos.state;

import io.custos.pipeline.CursorStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.writes.Proposal;
import io.custos.writes.ProposalRecords;
import io.custos.writes.ProposalStore;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The in-process store passes the contract, and keeps its bounds. */
class InProcessStateStoreTest extends StateStoreContract {
  @Override
  protected StateStore newStore(Clock clock) {
    return InProcessStateStore.builder().clock(clock).build();
  }

  @Test
  void theLeastRecentlyUsedCursorIsEvictedBeyondTheBound() {
    CursorStore cursors = InProcessStateStore.builder().clock(clock).maxCursors(2).build().cursors();
    var alice = owner("alice", "search_observations", "p1");
    Instant expires = T0.plusSeconds(60);
    String first = cursors.issue(alice, "one", expires);
    String second = cursors.issue(alice, "two", expires);
    assertThat(cursors.resolve(first, alice)).contains("one");

    String third = cursors.issue(alice, "three", expires);

    assertThat(cursors.resolve(second, alice)).isEmpty();
    assertThat(cursors.resolve(first, alice)).contains("one");
    assertThat(cursors.resolve(third, alice)).contains("three");
  }

  @Test
  void singleUseRecordsRefuseNewKeysWhenFullUntilOldOnesExpire() {
    SingleUseRecords records = InProcessStateStore.builder().clock(clock).maxSingleUse(2).build().singleUse();
    Instant expires = T0.plusSeconds(60);
    assertThat(records.claimOnce("a", expires)).isTrue();
    assertThat(records.claimOnce("b", expires)).isTrue();

    assertThatThrownBy(() -> records.claimOnce("c", expires)).isInstanceOf(StateFullException.class);
    assertThat(records.claimOnce("a", expires)).isFalse();

    clock.set(expires);
    assertThat(records.claimOnce("c", expires.plusSeconds(60))).isTrue();
    assertThat(records.claimOnce("d", expires.plusSeconds(60))).isTrue();
  }

  @Test
  void proposalRecordsRefuseNewOnesWhenFull() {
    ProposalRecords records = InProcessStateStore.builder().clock(clock).maxProposals(1).build().proposals();
    assertThat(records.insert(pending("p-1"), T0)).isTrue();

    assertThat(records.insert(pending("p-2"), T0)).isFalse();
    assertThat(records.find("p-2")).isEmpty();
    assertThat(records.find("p-1")).isPresent();
  }

  private ProposalStore.Snapshot pending(String id) {
    return new ProposalStore.Snapshot(proposal(id, "alice"), Proposal.State.PENDING, Optional.empty(), Optional.empty());
  }

  @Test
  void aBucketIsForgottenOnceRefilledAndTheNextStartsFull() {
    InProcessStateStore local = InProcessStateStore.builder().clock(clock).build();
    BucketConfiguration onePerMinute = BucketConfiguration.builder()
        .addLimit(Bandwidth.builder().capacity(1).refillGreedy(1, Duration.ofMinutes(1)).build()).build();
    assertThat(local.rateLimitBuckets().builder().build("u:alice", onePerMinute).tryConsume(1)).isTrue();
    assertThat(local.bucketCount()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(61));
    assertThat(local.rateLimitBuckets().builder().build("u:bob", onePerMinute).tryConsume(1)).isTrue();

    assertThat(local.bucketCount()).isEqualTo(1);
    assertThat(local.rateLimitBuckets().builder().build("u:alice", onePerMinute).tryConsume(1)).isTrue();
  }

  @Test
  void aSessionIsForgottenADayAfterItsLogoff() {
    InProcessStateStore local = InProcessStateStore.builder().clock(clock).build();
    var alice = new SessionBindings.Owner("alice", Optional.of("agent-app"));
    local.sessions().bind("session-1", alice, Duration.ofMinutes(15));
    clock.advance(Duration.ofMinutes(16));
    assertThat(local.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);

    clock.advance(SessionBindings.REMEMBER_LOGOFF);
    local.sessions().bind("session-2", alice, Duration.ofMinutes(15));
    assertThat(local.sessionCount()).isEqualTo(2);
    assertThat(local.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);

    clock.advance(Duration.ofMinutes(1));
    local.sessions().bind("session-3", alice, Duration.ofMinutes(15));
    assertThat(local.sessionCount()).isEqualTo(2);
    assertThat(local.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.UNKNOWN);
  }
}
