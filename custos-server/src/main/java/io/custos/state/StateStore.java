package io.custos.state;

import io.custos.pipeline.CursorStore;

import io.custos.policy.GrantStore;

import io.custos.writes.ProposalRecords;

import io.github.bucket4j.distributed.proxy.ProxyManager;

/**
 * All server-side state of the governed path, keyed to the authenticated user (never to a connection or an MCP
 * session). One instance per server, built by the composition root; every implementation passes the same contract
 * tests. A shared implementation makes a fleet of servers behave as one (a cursor, proposal, grant, bucket, claim or
 * session binding made through one server is seen by every other). A shared implementation fails closed: when it
 * cannot be reached, every operation throws {@link StateUnavailableException} instead of answering.
 */
public interface StateStore extends AutoCloseable {
  /** Opaque page cursors bound to user, tool and patient. */
  CursorStore cursors();

  /** Write proposals (records only; the two-phase commit's rules are {@link io.custos.writes.ProposalStore}'s). */
  ProposalRecords proposals();

  /** Break-the-glass grants by user and patient. */
  GrantStore grants();

  /**
   * Bucket4j token-bucket state, by key (user, client, user and tool, or source address). Bucket4j's own
   * distributed-bucket abstraction, so any Bucket4j backend (for example its PostgreSQL one) can serve it; the token
   * arithmetic is always Bucket4j's.
   */
  ProxyManager<String> rateLimitBuckets();

  /** Single-use records (replay protection for values a client hands back, such as a sealed request state). */
  SingleUseRecords singleUse();

  /** Bindings of 2025-11-25 Streamable HTTP sessions to their user and client, for session binding and idle logoff. */
  SessionBindings sessions();

  /** Releases what the store holds (connections, threads); an in-process store holds nothing to release. */
  @Override
  default void close() {
  }
}
