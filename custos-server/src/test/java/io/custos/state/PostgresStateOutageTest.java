package io.custos.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.pipeline.CursorStore;
import io.custos.policy.BreakGlass;
import io.custos.policy.RateLimits;
import io.custos.testing.RestartablePostgres;
import io.custos.writes.Proposal;
import io.custos.writes.ProposalStore;
import io.custos.writes.TestProposals;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped under a running store: every operation fails closed with {@link StateUnavailableException}, in
 * bounded time, naming no key or value; PostgreSQL started again on the same data directory and port: the same store
 * (its pool, its Bucket4j proxy manager) resumes, and nothing written before the outage is lost.
 */
class PostgresStateOutageTest {
  @TempDir
  Path tmp;

  static PostgresStateStore open(int port) {
    return PostgresStateStore.builder().jdbc("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", Optional.of("postgres"))
        .connectionTimeout(Duration.ofSeconds(1)).socketTimeout(Duration.ofSeconds(2)).build();
  }

  @Test
  void operationsFailClosedWhileTheDatabaseIsDownAndResumeAfter() throws Exception {
    RestartablePostgres server = new RestartablePostgres(tmp.resolve("pgdata"));
    EmbeddedPostgres pg = server.start();
    try (PostgresStateStore store = open(server.port())) {
      Instant now = Instant.now();
      var owner = new CursorStore.Owner("alice", "search_observations", Optional.of("p1"));
      var alice = new SessionBindings.Owner("alice", Optional.of("agent-app"));
      ProposalStore proposals = new ProposalStore(store.proposals());
      Proposal p = TestProposals.note(ProposalStore.newId(), "alice", now);
      proposals.add(p, now);
      String cursor = store.cursors().issue(owner, "next-link", now.plusSeconds(600));
      store.sessions().bind("session-1", alice, Duration.ofMinutes(15));
      RateLimits limits = new RateLimits(100, store.rateLimitBuckets());
      assertThat(limits.acquire("alice", "agent-app", "search_observations")).isEmpty();

      pg.close(); // stops the server; the data directory stays

      Map<String, Runnable> operations = new LinkedHashMap<>();
      operations.put("cursor issue", () -> store.cursors().issue(owner, "next-link", now.plusSeconds(600)));
      operations.put("cursor resolve", () -> store.cursors().resolve(cursor, owner));
      operations.put("proposal add", () -> proposals.add(TestProposals.note(ProposalStore.newId(), "alice", now), now));
      operations.put("proposal get", () -> proposals.get(p.id()));
      operations.put("proposal approve", () -> proposals.approve(p.id(), approval(now), p.payloadSha256(), now));
      operations.put("grant put", () -> store.grants().put(new BreakGlass.Grant("alice", "p1", "emergency", now.plusSeconds(600))));
      operations.put("grant active", () -> store.grants().active("alice", "p1"));
      operations.put("single-use claim", () -> store.singleUse().claimOnce("request-state:1", now.plusSeconds(600)));
      operations.put("session bind", () -> store.sessions().bind("session-2", alice, Duration.ofMinutes(15)));
      operations.put("session present", () -> store.sessions().present("session-1", alice));
      operations.put("session end", () -> store.sessions().end("session-1"));
      operations.put("rate limit", () -> limits.acquire("alice", "agent-app", "search_observations"));
      operations.put("sweep", store::sweep);
      for (var op : operations.entrySet()) {
        long t0 = System.nanoTime();
        assertThatThrownBy(op.getValue()::run).as(op.getKey()).isInstanceOf(StateUnavailableException.class)
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("alice", "p1", "session-", p.id(), cursor));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("%s refused in bounded time", op.getKey())
            .isLessThan(10_000L);
      }

      pg = server.start();

      // the pool replaces its broken connections; the first operations after the restart may still meet one
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Optional<ProposalStore.Snapshot> found = Optional.empty();
      while (found.isEmpty() && System.nanoTime() < deadline) {
        try {
          found = proposals.get(p.id());
        } catch (StateUnavailableException notYet) {
          Thread.sleep(200);
        }
      }
      assertThat(found).map(ProposalStore.Snapshot::state).contains(Proposal.State.PENDING);
      assertThat(proposals.approve(p.id(), approval(now), p.payloadSha256(), now).state()).isEqualTo(Proposal.State.APPROVED);
      assertThat(store.cursors().resolve(cursor, owner)).contains("next-link");
      assertThat(store.sessions().present("session-1", alice)).isEqualTo(SessionBindings.Verdict.ACTIVE);
      assertThat(store.singleUse().claimOnce("request-state:1", now.plusSeconds(600))).isTrue();
      assertThat(limits.acquire("alice", "agent-app", "search_observations")).isEmpty();
    } finally {
      pg.close();
    }
  }

  private static Proposal.Approval approval(Instant now) {
    return new Proposal.Approval("alice", "approval-app", Proposal.Channel.APPROVAL_ENDPOINT, null, now);
  }

  @Test
  void aStoreIsNotOpenedOnAnUnreachableDatabase() throws Exception {
    int nothingListens = RestartablePostgres.freePort();

    assertThatThrownBy(() -> open(nothingListens)).isInstanceOf(StateUnavailableException.class)
        .hasMessageStartingWith("state store unavailable: ");
  }
}
