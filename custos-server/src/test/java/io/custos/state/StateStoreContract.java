package io.custos.state;

import io.custos.pipeline.CursorStore;

import static io.custos.writes.TestProposals.ARGS;
import static io.custos.writes.TestProposals.code;
import static org.assertj.core.api.Assertions.assertThat;

import io.custos.fhir.WriteOutcome;
import io.custos.policy.BreakGlass;
import io.custos.policy.RateLimits;
import io.custos.testing.ManualClock;
import io.custos.writes.Proposal;
import io.custos.writes.ProposalStore;
import io.custos.writes.TestProposals;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.BucketProxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link StateStore} implementation must do: a subclass supplies the store, on the test's clock, and
 * inherits every test. Keys are the authenticated user's {@code sub} (and client), never a connection.
 */
public abstract class StateStoreContract {
  protected static final Instant T0 = Instant.parse("2026-07-28T10:00:00Z");
  private static final int THREADS = 8;

  protected final ManualClock clock = new ManualClock(T0);
  protected StateStore store;
  private ExecutorService pool;

  /** A new, empty store whose expiries are judged by {@code clock}. */
  protected abstract StateStore newStore(Clock clock);

  @BeforeEach
  void openStore() {
    store = newStore(clock);
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterEach
  void stopThreads() {
    pool.shutdownNow();
    store.close();
  }

  // ---- page cursors

  static CursorStore.Owner owner(String subject, String tool, String patient) {
    return new CursorStore.Owner(subject, tool, Optional.ofNullable(patient));
  }

  @Test
  void aCursorResolvesOnlyForTheUserToolAndPatientThatCreatedIt() {
    var alice = owner("alice", "search_observations", "p1");
    String cursor = store.cursors().issue(alice, "https://fhir.example/next?page=2", T0.plus(Duration.ofMinutes(15)));

    assertThat(cursor).matches("[A-Za-z0-9_-]{22}");
    assertThat(store.cursors().issue(alice, "https://fhir.example/next?page=2", T0.plusSeconds(60))).isNotEqualTo(cursor);
    assertThat(store.cursors().resolve(cursor, alice)).contains("https://fhir.example/next?page=2");
    assertThat(store.cursors().resolve(cursor, owner("bob", "search_observations", "p1"))).isEmpty();
    assertThat(store.cursors().resolve(cursor, owner("alice", "search_conditions", "p1"))).isEmpty();
    assertThat(store.cursors().resolve(cursor, owner("alice", "search_observations", "p2"))).isEmpty();
    assertThat(store.cursors().resolve(cursor, owner("alice", "search_observations", null))).isEmpty();
    assertThat(store.cursors().resolve("AAAAAAAAAAAAAAAAAAAAAA", alice)).isEmpty();
  }

  @Test
  void aCursorWithoutPatientResolvesOnlyWithoutPatient() {
    var search = owner("alice", "find_patient", null);
    String cursor = store.cursors().issue(search, "next-link", T0.plusSeconds(60));

    assertThat(store.cursors().resolve(cursor, search)).contains("next-link");
    assertThat(store.cursors().resolve(cursor, owner("alice", "find_patient", "p1"))).isEmpty();
  }

  @Test
  void aCursorStopsResolvingAtItsExpiry() {
    var alice = owner("alice", "search_observations", "p1");
    String cursor = store.cursors().issue(alice, "next-link", T0.plus(Duration.ofMinutes(15)));

    clock.set(T0.plus(Duration.ofMinutes(15)).minusMillis(1));
    assertThat(store.cursors().resolve(cursor, alice)).contains("next-link");
    clock.set(T0.plus(Duration.ofMinutes(15)));
    assertThat(store.cursors().resolve(cursor, alice)).isEmpty();
  }

  // ---- write proposals

  static Proposal proposal(String id, String subject) {
    return TestProposals.note(id, subject, T0);
  }

  static Proposal.Approval approval(String subject) {
    return new Proposal.Approval(subject, "approval-app", Proposal.Channel.APPROVAL_ENDPOINT, null, T0.plusSeconds(5));
  }

  /** A proposal of alice's, added and approved. */
  static Proposal approved(ProposalStore proposals) {
    Proposal p = proposal(ProposalStore.newId(), "alice");
    proposals.add(p, T0);
    proposals.approve(p.id(), approval("alice"), p.payloadSha256(), T0.plusSeconds(5));
    return p;
  }

  @Test
  void aProposalIsApprovedThenCommittedOnceAndRemembered() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    Proposal p = proposal(ProposalStore.newId(), "alice");
    proposals.add(p, T0);
    assertThat(proposals.get(p.id()).orElseThrow().state()).isEqualTo(Proposal.State.PENDING);

    proposals.approve(p.id(), approval("alice"), p.payloadSha256(), T0.plusSeconds(5));
    assertThat(proposals.get(p.id()).orElseThrow().approval().orElseThrow().payloadSha256()).isEqualTo(p.payloadSha256());
    assertThat(proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(6))).isEqualTo(p);
    assertThat(code(() -> proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(7))))
        .isEqualTo("already_used");

    var written = new WriteOutcome("DocumentReference", "d1", "1", true);
    proposals.completeCommit(p.id(), written);
    var done = proposals.get(p.id()).orElseThrow();
    assertThat(done.state()).isEqualTo(Proposal.State.COMMITTED);
    assertThat(done.written()).contains(written);
    assertThat(code(() -> proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(8))))
        .isEqualTo("already_used");
  }

  @Test
  void anAbortedCommitCanBeRetriedAndAFailedOneCannot() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    Proposal p = approved(proposals);

    proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(6));
    proposals.abortCommit(p.id());
    assertThat(proposals.get(p.id()).orElseThrow().state()).isEqualTo(Proposal.State.APPROVED);
    proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(7));
    proposals.failCommit(p.id());
    assertThat(proposals.get(p.id()).orElseThrow().state()).isEqualTo(Proposal.State.REJECTED);
    assertThat(code(() -> proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS, T0.plusSeconds(8))))
        .isEqualTo("rejected");
  }

  @Test
  void aRefusedTransitionLeavesTheProposalUnchanged() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    Proposal p = proposal(ProposalStore.newId(), "alice");
    proposals.add(p, T0);

    assertThat(code(() -> proposals.approve(p.id(), approval("alice"), "0".repeat(64), T0.plusSeconds(5))))
        .isEqualTo("payload_mismatch");
    assertThat(code(() -> proposals.approve(p.id(), approval("bob"), p.payloadSha256(), T0.plusSeconds(5))))
        .isEqualTo("wrong_user");
    var unchanged = proposals.get(p.id()).orElseThrow();
    assertThat(unchanged.state()).isEqualTo(Proposal.State.PENDING);
    assertThat(unchanged.approval()).isEmpty();
    assertThat(code(() -> proposals.reject("p-unknown", "alice", T0))).isEqualTo("proposal_not_found");
    assertThat(proposals.get("p-unknown")).isEmpty();
  }

  @Test
  void concurrentCommitsOfOneProposalLetExactlyOneThrough() throws Exception {
    ProposalStore proposals = new ProposalStore(store.proposals());
    Proposal p = approved(proposals);

    List<String> outcomes = race(() -> code(() -> proposals.beginCommit(p.id(), "alice", p.tool(), "p1", ARGS,
        T0.plusSeconds(6))));

    assertThat(outcomes).containsOnly("none", "already_used").filteredOn("none"::equals).hasSize(1);
  }

  @Test
  void finishedProposalsAreForgottenOnlyAfterTheirRetention() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    Proposal first = proposal(ProposalStore.newId(), "alice");
    proposals.add(first, T0);
    proposals.reject(first.id(), "alice", T0.plusSeconds(5));

    Instant retained = first.expiresAt().plus(ProposalStore.RETENTION);
    proposals.add(proposal(ProposalStore.newId(), "alice"), retained);
    assertThat(proposals.get(first.id())).isPresent();
    proposals.add(proposal(ProposalStore.newId(), "alice"), retained.plusSeconds(1));
    assertThat(proposals.get(first.id())).isEmpty();
  }

  /** A pending proposal of {@code subject}'s, proposed at {@code at} (open 15 minutes from then). */
  static Proposal proposedAt(ProposalStore proposals, String subject, Instant at) {
    Proposal p = TestProposals.note(ProposalStore.newId(), subject, at);
    proposals.add(p, at);
    return p;
  }

  static List<String> ids(List<ProposalStore.Snapshot> page) {
    return page.stream().map(s -> s.proposal().id()).toList();
  }

  @Test
  void pendingListsOnlyTheUsersUndecidedUnexpiredProposalsOldestFirst() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    // 1.5 s sorts after 1 s although its ISO-8601 text sorts before it: ordered by instant, not by text
    Proposal later = proposedAt(proposals, "alice", T0.plusMillis(1500));
    Proposal first = proposedAt(proposals, "alice", T0);
    Proposal second = proposedAt(proposals, "alice", T0.plusSeconds(1));
    Proposal approved = proposedAt(proposals, "alice", T0.plusSeconds(2));
    proposals.approve(approved.id(), approval("alice"), approved.payloadSha256(), T0.plusSeconds(5));
    Proposal rejected = proposedAt(proposals, "alice", T0.plusSeconds(3));
    proposals.reject(rejected.id(), "alice", T0.plusSeconds(5));
    Proposal committed = approved(proposals);
    proposals.beginCommit(committed.id(), "alice", committed.tool(), "p1", ARGS, T0.plusSeconds(6));
    proposals.completeCommit(committed.id(), new WriteOutcome("DocumentReference", "d1", "1", true));
    Proposal bobs = proposedAt(proposals, "bob", T0);

    Instant now = T0.plusSeconds(10);
    assertThat(ids(proposals.pendingFor("alice", now, 10))).containsExactly(first.id(), second.id(), later.id());
    assertThat(ids(proposals.pendingFor("alice", now, 2))).containsExactly(first.id(), second.id());
    assertThat(ids(proposals.pendingFor("bob", now, 10))).containsExactly(bobs.id());
    assertThat(proposals.pendingFor("carol", now, 10)).isEmpty();
    assertThat(proposals.pendingFor("alice", now, 10).get(0).proposal()).isEqualTo(first);
  }

  @Test
  void aProposalLeavesThePendingListAtItsExpiry() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    Proposal first = proposedAt(proposals, "alice", T0);
    Proposal second = proposedAt(proposals, "alice", T0.plusSeconds(1));

    assertThat(ids(proposals.pendingFor("alice", first.expiresAt().minusMillis(1), 10))).containsExactly(first.id(), second.id());
    assertThat(ids(proposals.pendingFor("alice", first.expiresAt(), 10))).containsExactly(second.id());
    assertThat(proposals.pendingFor("alice", second.expiresAt(), 10)).isEmpty();
  }

  @Test
  void proposalsProposedAtTheSameInstantAreListedByIdAndThePageSizeIsBounded() {
    ProposalStore proposals = new ProposalStore(store.proposals());
    List<String> same = java.util.stream.Stream.generate(() -> proposedAt(proposals, "alice", T0).id()).limit(3)
        .sorted().toList();

    assertThat(ids(proposals.pendingFor("alice", T0, 3))).isEqualTo(same);
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> proposals.pendingFor("alice", T0, ProposalStore.MAX_PAGE + 1));
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> proposals.pendingFor("alice", T0, 0));
  }

  // ---- break-the-glass grants

  @Test
  void aGrantIsActiveForItsUserAndPatientUntilItExpires() {
    store.grants().put(new BreakGlass.Grant("alice", "p1", "unconscious patient", T0.plus(Duration.ofMinutes(60))));

    assertThat(store.grants().active("alice", "p1")).map(BreakGlass.Grant::reason).contains("unconscious patient");
    assertThat(store.grants().active("alice", "p2")).isEmpty();
    assertThat(store.grants().active("bob", "p1")).isEmpty();
    clock.set(T0.plus(Duration.ofMinutes(60)).minusMillis(1));
    assertThat(store.grants().active("alice", "p1")).isPresent();
    clock.set(T0.plus(Duration.ofMinutes(60)));
    assertThat(store.grants().active("alice", "p1")).isEmpty();
  }

  @Test
  void aNewGrantReplacesTheEarlierOneOfTheSameUserAndPatient() {
    store.grants().put(new BreakGlass.Grant("alice", "p1", "first", T0.plus(Duration.ofMinutes(10))));
    store.grants().put(new BreakGlass.Grant("alice", "p1", "second", T0.plus(Duration.ofMinutes(60))));

    clock.set(T0.plus(Duration.ofMinutes(30)));
    assertThat(store.grants().active("alice", "p1")).map(BreakGlass.Grant::reason).contains("second");
  }

  @Test
  void breakGlassDeclaresIntoTheStore() {
    var breakGlass = new BreakGlass(clock, Duration.ofMinutes(60), store.grants());
    breakGlass.declare("alice", "p1", "emergency");

    assertThat(store.grants().active("alice", "p1")).map(BreakGlass.Grant::expires).contains(T0.plus(Duration.ofMinutes(60)));
  }

  // ---- rate-limit buckets

  static BucketConfiguration twoPerMinute() {
    return BucketConfiguration.builder()
        .addLimit(Bandwidth.builder().capacity(2).refillGreedy(2, Duration.ofMinutes(1)).build()).build();
  }

  @Test
  void aBucketIsSharedByKeyAndRefillsOnTheStoresClock() {
    BucketProxy alice = store.rateLimitBuckets().builder().build("u:alice", StateStoreContract::twoPerMinute);
    // another server of a fleet builds its own proxy for the same key
    BucketProxy aliceElsewhere = store.rateLimitBuckets().builder().build("u:alice", StateStoreContract::twoPerMinute);
    BucketProxy bob = store.rateLimitBuckets().builder().build("u:bob", StateStoreContract::twoPerMinute);

    assertThat(alice.tryConsume(1)).isTrue();
    assertThat(aliceElsewhere.tryConsume(1)).isTrue();
    assertThat(alice.tryConsume(1)).isFalse();
    assertThat(bob.tryConsume(2)).isTrue();
    clock.advance(Duration.ofSeconds(30));
    assertThat(aliceElsewhere.tryConsume(1)).isTrue();
    assertThat(alice.tryConsume(1)).isFalse();
    clock.advance(Duration.ofMinutes(1));
    assertThat(alice.tryConsume(2)).isTrue();
  }

  @Test
  void rateLimitsOverOneStoreShareTheirBuckets() {
    var first = new RateLimits(2, store.rateLimitBuckets());
    var second = new RateLimits(2, store.rateLimitBuckets());

    assertThat(first.acquire("alice", "agent-app", "search_observations")).isEmpty();
    // the user-and-tool bucket holds one call a minute at this limit
    assertThat(second.acquire("alice", "agent-app", "search_observations")).isPresent();
    assertThat(second.acquire("bob", "agent-app", "search_observations")).isEmpty();
  }

  @Test
  void concurrentConsumersNeverTakeMoreThanTheBucketHolds() throws Exception {
    List<Boolean> taken = race(() -> store.rateLimitBuckets().builder()
        .build("u:alice", StateStoreContract::twoPerMinute).tryConsume(1));

    assertThat(taken).filteredOn(Boolean::booleanValue).hasSize(2);
  }

  // ---- single-use records

  @Test
  void aKeyIsClaimedOnceUntilItExpires() {
    Instant expires = T0.plus(Duration.ofMinutes(5));

    assertThat(store.singleUse().claimOnce("alice:state-1", expires)).isTrue();
    assertThat(store.singleUse().claimOnce("alice:state-1", expires)).isFalse();
    assertThat(store.singleUse().claimOnce("alice:state-1", expires.plusSeconds(60))).isFalse();
    assertThat(store.singleUse().claimOnce("bob:state-1", expires)).isTrue();
    clock.set(expires.minusMillis(1));
    assertThat(store.singleUse().claimOnce("alice:state-1", expires)).isFalse();
    clock.set(expires);
    assertThat(store.singleUse().claimOnce("alice:state-1", expires.plusSeconds(60))).isTrue();
  }

  @Test
  void anAlreadyExpiredKeyIsNeverClaimed() {
    assertThat(store.singleUse().claimOnce("alice:old", T0)).isFalse();
    assertThat(store.singleUse().claimOnce("alice:old", T0.minusSeconds(1))).isFalse();
    assertThat(store.singleUse().claimOnce("alice:old", T0.plusSeconds(1))).isTrue();
  }

  @Test
  void concurrentClaimsOfOneKeySucceedExactlyOnce() throws Exception {
    int keys = 500;
    AtomicIntegerArray wins = new AtomicIntegerArray(keys);
    Instant expires = T0.plus(Duration.ofMinutes(5));
    // every thread claims each key at the same moment
    CyclicBarrier together = new CyclicBarrier(THREADS);

    race(() -> {
      for (int k = 0; k < keys; k++) {
        together.await();
        if (store.singleUse().claimOnce("alice:state-" + k, expires)) {
          wins.incrementAndGet(k);
        }
      }
      return null;
    });

    for (int k = 0; k < keys; k++) {
      assertThat(wins.get(k)).as("claims of key %d that succeeded", k).isEqualTo(1);
    }
  }

  // ---- session bindings (2025-11-25 Streamable HTTP)

  static SessionBindings.Owner user(String subject, String clientId) {
    return new SessionBindings.Owner(subject, Optional.ofNullable(clientId));
  }

  @Test
  void aSessionIsActiveOnlyForTheUserAndClientThatCreatedIt() {
    store.sessions().bind("session-1", user("alice", "agent-app"), Duration.ofMinutes(15));

    assertThat(store.sessions().present("session-1", user("alice", "agent-app"))).isEqualTo(SessionBindings.Verdict.ACTIVE);
    assertThat(store.sessions().present("session-1", user("bob", "agent-app"))).isEqualTo(SessionBindings.Verdict.FOREIGN);
    assertThat(store.sessions().present("session-1", user("alice", "other-app"))).isEqualTo(SessionBindings.Verdict.FOREIGN);
    assertThat(store.sessions().present("session-1", user("alice", null))).isEqualTo(SessionBindings.Verdict.FOREIGN);
    assertThat(store.sessions().present("session-2", user("alice", "agent-app"))).isEqualTo(SessionBindings.Verdict.UNKNOWN);
    assertThat(store.sessions().present("session-1", user("alice", "agent-app"))).isEqualTo(SessionBindings.Verdict.ACTIVE);
  }

  @Test
  void aSessionWithoutClientIsBoundToTheUserWithoutClient() {
    store.sessions().bind("session-1", user("alice", null), Duration.ofMinutes(15));

    assertThat(store.sessions().present("session-1", user("alice", null))).isEqualTo(SessionBindings.Verdict.ACTIVE);
    assertThat(store.sessions().present("session-1", user("alice", "agent-app"))).isEqualTo(SessionBindings.Verdict.FOREIGN);
  }

  @Test
  void aSessionIdleBeyondItsLimitIsLoggedOffForGood() {
    var alice = user("alice", "agent-app");
    store.sessions().bind("session-1", alice, Duration.ofMinutes(15));

    clock.advance(Duration.ofMinutes(10));
    assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
    // activity restarts the idle time: 24 minutes after creation, 14 after the last request
    clock.advance(Duration.ofMinutes(14));
    assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
    clock.advance(Duration.ofMinutes(15));
    assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
    clock.advance(Duration.ofMinutes(15).plusMillis(1));
    assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);
    assertThat(store.sessions().present("session-1", user("bob", "agent-app"))).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);
  }

  @Test
  void anotherIdentityPresentingTheSessionDoesNotKeepItAlive() {
    var alice = user("alice", "agent-app");
    store.sessions().bind("session-1", alice, Duration.ofMinutes(15));

    clock.advance(Duration.ofMinutes(10));
    assertThat(store.sessions().present("session-1", user("mallory", "agent-app"))).isEqualTo(SessionBindings.Verdict.FOREIGN);
    clock.advance(Duration.ofMinutes(6));
    assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.LOGGED_OFF);
  }

  @Test
  void anEndedSessionIsUnknown() {
    store.sessions().bind("session-1", user("alice", "agent-app"), Duration.ofMinutes(15));

    store.sessions().end("session-1");

    assertThat(store.sessions().present("session-1", user("alice", "agent-app"))).isEqualTo(SessionBindings.Verdict.UNKNOWN);
  }

  /** Runs {@code task} on {@link #THREADS} threads released together; returns each thread's result. */
  private <T> List<T> race(Callable<T> task) throws Exception {
    return Races.run(pool, THREADS, i -> task);
  }
}
