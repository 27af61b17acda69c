/**
 * Server-side state that outlives a single request: page cursors, write proposals, break-the-glass grants,
 * rate-limit buckets and single-use records. Everything here is keyed to the authenticated user (the token's
 * {@code sub}, and the OAuth client where it matters), never to a transport connection or an MCP session, so a
 * request may land on any connection, or on any server of a fleet that shares the store.
 *
 * <p>{@link io.custos.state.StateStore} is the one seam; {@link io.custos.state.InProcessStateStore} is the default
 * (bounded, thread-safe, lost on restart). The composition root builds exactly one store per server.
 */
package io.custos.state;
