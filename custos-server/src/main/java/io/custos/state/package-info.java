/**
 * Server-side state that outlives a single request: page cursors, write proposals, break-the-glass grants,
 * rate-limit buckets, single-use records and the bindings of 2025-11-25 Streamable HTTP sessions. Everything but the
 * session bindings is keyed to the authenticated user (the token's {@code sub}, and the OAuth client where it
 * matters), never to a transport connection or an MCP session, so a request may land on any connection, or on any
 * server of a fleet that shares the store; the session bindings are what ties an {@code Mcp-Session-Id} to its user.
 *
 * <p>{@link io.custos.state.StateStore} is the one seam; {@link io.custos.state.InProcessStateStore} is the default
 * (bounded, thread-safe, lost on restart) and {@link io.custos.state.PostgresStateStore} the shared, durable one for a
 * fleet, which fails closed with {@link io.custos.state.StateUnavailableException}. The composition root builds
 * exactly one store per server.
 */
package io.custos.state;
