package io.custos.state;

import static io.custos.writes.TestProposals.ARGS;
import static io.custos.writes.TestProposals.code;
import static org.assertj.core.api.Assertions.assertThat;

import io.custos.fhir.WriteOutcome;
import io.custos.pipeline.CursorStore;
import io.custos.policy.BreakGlass;
import io.custos.policy.RateLimits;
import io.custos.testing.ManualClock;
import io.custos.writes.Proposal;
import io.custos.writes.ProposalStore;
import io.custos.writes.TestProposals;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two PostgreSQL stores on one database, as two servers of a fleet each open their own (own pool, own Bucket4j proxy
 * manager, own sweeper), behave as one store; proposals outlive the stores that made them.
 */
class PostgresStateFleetTest {
  static final Instant T0 = Instant.parse("2026-07-28T10:00:00Z");
  static final int THREADS = 8;
  @RegisterExtension
  static final EmbeddedDatabase db = new EmbeddedDatabase();

  final ManualClock clock = new ManualClock(T0);
  PostgresStateStore one;
  PostgresStateStore two;
  ExecutorService pool;

  @BeforeEach
  void openTwoServers() throws Exception {
    one = db.open(clock);
    two = db.open(clock);
    db.truncate();
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterEach
  void close() {
    pool.shutdownNow();
    one.close();
    two.close();
  }

  /** The store of server {@code i % 2}: even threads and calls go to one server, odd ones to the other. */
  StateStore server(int i) {
    return i % 2 == 0 ? one : two;
  }

  @Test
  void aProposalMadeOnOneServerIsApprovedAndCommittedThroughTheOtherExactlyOnce() throws Exception {
    Proposal p = TestProposals.note(ProposalStore.newId(), "alice", T0);
    new ProposalStore(one.proposals()).add(p, T0);
    var approval = new Proposal.Approval("alice", "approval-app", Proposal.Channel.APPROVAL_ENDPOINT, null, T0.plusSeconds(5));

    List<String> approvals = race(i -> () -> code(() -> new ProposalStore(server(i).proposals())
        .approve(p.id(), approval, p.payloadSha256(), T0.plusSeconds(5))));
    List<String> commits = race(i -> () -> code(() -> new ProposalStore(server(i + 1).proposals())
        .beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(6))));

    assertThat(approvals).filteredOn("none"::equals).hasSize(1);
    assertThat(approvals).containsOnly("none", "already_used");
    assertThat(commits).filteredOn("none"::equals).hasSize(1);
    assertThat(commits).containsOnly("none", "already_used");
    var written = new WriteOutcome("DocumentReference", "d1", "1", true);
    new ProposalStore(two.proposals()).completeCommit(p.id(), written);
    var seenOnOne = new ProposalStore(one.proposals()).get(p.id()).orElseThrow();
    assertThat(seenOnOne.state()).isEqualTo(Proposal.State.COMMITTED);
    assertThat(seenOnOne.written()).contains(written);
    assertThat(seenOnOne.approval().orElseThrow().payloadSha256()).isEqualTo(p.payloadSha256());
  }

  @Test
  void proposalsSurviveClosingAndReopeningTheStore() {
    Proposal p = TestProposals.note(ProposalStore.newId(), "alice", T0);
    new ProposalStore(one.proposals()).add(p, T0);
    new ProposalStore(one.proposals()).approve(p.id(), new Proposal.Approval("alice", "approval-app",
        Proposal.Channel.APPROVAL_ENDPOINT, null, T0.plusSeconds(5)), p.payloadSha256(), T0.plusSeconds(5));
    one.close();
    two.close();

    one = db.open(clock);
    two = db.open(clock);
    ProposalStore reopened = new ProposalStore(one.proposals());

    var restored = reopened.get(p.id()).orElseThrow();
    assertThat(restored.proposal()).isEqualTo(p);
    assertThat(restored.state()).isEqualTo(Proposal.State.APPROVED);
    assertThat(reopened.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(6))).isEqualTo(p);
    assertThat(code(() -> reopened.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(7))))
        .isEqualTo("already_used");
  }

  @Test
  void proposalDetailsSurviveTheirStoredForm() {
    Proposal base = TestProposals.note(ProposalStore.newId(), "alice", T0);
    Proposal p = new Proposal(base.id(), base.tool(), base.subject(), base.clientId(), base.patientId(), base.resourceType(),
        base.argumentsSha256(), base.payloadJson(), base.payloadSha256(), base.preview(),
        Map.of("demographics", Map.of("phone", "proposed, not applied"), "count", 2), base.createdAt(), base.expiresAt());
    new ProposalStore(one.proposals()).add(p, T0);

    assertThat(new ProposalStore(two.proposals()).get(p.id()).orElseThrow().proposal()).isEqualTo(p);
  }

  @Test
  void aSingleUseKeyIsClaimedOnceAcrossBothServers() throws Exception {
    int keys = 200;
    AtomicIntegerArray wins = new AtomicIntegerArray(keys);
    Instant expires = T0.plus(Duration.ofMinutes(5));

    race(i -> () -> {
      for (int k = 0; k < keys; k++) {
        if (server(i).singleUse().claimOnce("request-state:" + k, expires)) {
          wins.incrementAndGet(k);
        }
      }
      return null;
    });

    for (int k = 0; k < keys; k++) {
      assertThat(wins.get(k)).as("successful claims of key %d", k).isEqualTo(1);
    }
  }

  @Test
  void aUserLimitedToNCallsGetsNInTotalAcrossBothServers() throws Exception {
    int perMinute = 10;
    var limitsOne = new RateLimits(perMinute, one.rateLimitBuckets());
    var limitsTwo = new RateLimits(perMinute, two.rateLimitBuckets());

    // each call names another tool, so only the per-user bucket binds
    List<Integer> allowed = race(i -> () -> {
      int n = 0;
      for (int call = 0; call < 5; call++) {
        if ((i % 2 == 0 ? limitsOne : limitsTwo).acquire("alice", "agent-app", "tool-" + i + "-" + call).isEmpty()) {
          n++;
        }
      }
      return n;
    });

    assertThat(allowed.stream().mapToInt(Integer::intValue).sum()).isEqualTo(perMinute);
    clock.advance(Duration.ofMinutes(1));
    assertThat(limitsTwo.acquire("alice", "agent-app", "another-tool")).isEmpty();
  }

  @Test
  void aSessionBoundOnOneServerIsRefusedForAnotherUserOnTheOther() {
    var alice = new SessionBindings.Owner("alice", Optional.of("agent-app"));
    one.sessions().bind("session-1", alice, Duration.ofMinutes(15));

    assertThat(two.sessions().present("session-1", new SessionBindings.Owner("mallory", Optional.of("agent-app"))))
        .isEqualTo(SessionBindings.Verdict.FOREIGN);
    assertThat(two.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
    two.sessions().end("session-1");
    assertThat(one.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.UNKNOWN);
  }

  @Test
  void idleLogoffHoldsAcrossBothServers() {
    var alice = new SessionBindings.Owner("alice", Optional.of("agent-app"));
    one.sessions().bind("session-1", alice, Duration.ofMinutes(15));

    clock.advance(Duration.ofMinutes(10));
    assertThat(two.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
    // activity on the second server counts on the first: 20 minutes after creation, 10 after the last request
    clock.advance(Duration.ofMinutes(10));
    assertThat(one.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
    clock.advance(Duration.ofMinutes(16));
    assertThat(two.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);
    assertThat(one.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);
  }

  @Test
  void cursorsAndGrantsMadeOnOneServerHoldOnTheOther() {
    var owner = new CursorStore.Owner("alice", "search_observations", Optional.of("p1"));
    String cursor = one.cursors().issue(owner, "https://fhir.example/next?page=2", T0.plusSeconds(60));
    two.grants().put(new BreakGlass.Grant("alice", "p1", "emergency", T0.plusSeconds(60)));

    assertThat(two.cursors().resolve(cursor, owner)).contains("https://fhir.example/next?page=2");
    assertThat(one.grants().active("alice", "p1")).map(BreakGlass.Grant::reason).contains("emergency");
  }

  @Test
  void aSweepDeletesExpiredRowsOfEveryKindAndKeepsLiveOnes() throws Exception {
    Instant soon = T0.plusSeconds(60);
    var owner = new CursorStore.Owner("alice", "search_observations", Optional.empty());
    one.cursors().issue(owner, "old", soon);
    one.grants().put(new BreakGlass.Grant("alice", "p1", "emergency", soon));
    one.singleUse().claimOnce("old", soon);
    new RateLimits(10, one.rateLimitBuckets()).acquire("alice", "agent-app", "tool");
    one.sessions().bind("session-old", new SessionBindings.Owner("alice", Optional.empty()), Duration.ofMinutes(30));
    Proposal p = TestProposals.note(ProposalStore.newId(), "alice", T0);
    new ProposalStore(one.proposals()).add(p, T0);
    assertThat(db.rows()).containsEntry("custos_rate_bucket", 3L).containsEntry("custos_proposal", 1L);

    clock.set(p.expiresAt().plus(ProposalStore.RETENTION).plusSeconds(1));
    // Bucket4j stamps a bucket's expiry from the system clock: pass it there
    db.update("UPDATE custos_rate_bucket SET expires_at = expires_at - 60000");
    String live = one.cursors().issue(owner, "new", clock.instant().plus(Duration.ofHours(1)));
    int deleted = two.sweep();

    assertThat(deleted).as("rows left: %s", db.rows()).isEqualTo(7);
    assertThat(db.rows()).containsEntry("custos_cursor", 1L).containsEntry("custos_grant", 0L).containsEntry("custos_single_use", 0L)
        .containsEntry("custos_rate_bucket", 0L).containsEntry("custos_proposal", 0L);
    // the session ended 30 minutes after T0 and is still reported as logged off for a day after that
    assertThat(db.rows()).containsEntry("custos_session", 1L);
    assertThat(one.cursors().resolve(live, owner)).contains("new");
    clock.set(T0.plus(Duration.ofMinutes(30)).plus(SessionBindings.REMEMBER_LOGOFF).plusSeconds(1));
    assertThat(one.sweep()).isEqualTo(1);
    assertThat(db.rows()).containsEntry("custos_session", 0L);
  }

  private <T> List<T> race(IntFunction<Callable<T>> task) throws Exception {
    return Races.run(pool, THREADS, task);
  }
}
