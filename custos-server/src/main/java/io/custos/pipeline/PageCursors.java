package io.custos.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The read route's page cursors, kept in the server's {@link CursorStore}: a client only ever holds a random cursor
 * id, bound to the user, tool and patient that created it, valid for a fixed time.
 */
final class PageCursors {
  private final CursorStore store;
  private final Clock clock;
  private final Duration ttl;

  PageCursors(CursorStore store, Clock clock, Duration ttl) {
    this.store = store;
    this.clock = clock;
    this.ttl = ttl;
  }

  /** Stores a next link and returns its opaque id. @param patientId null for a search bound to no patient */
  String issue(String subject, String tool, String patientId, String nextLink) {
    return store.issue(owner(subject, tool, patientId), nextLink, clock.instant().plus(ttl));
  }

  /** The next link for {@code cursor} if it exists, is unexpired and belongs to this user, tool and patient. */
  Optional<String> resolve(String cursor, String subject, String tool, String patientId) {
    return store.resolve(cursor, owner(subject, tool, patientId));
  }

  private static CursorStore.Owner owner(String subject, String tool, String patientId) {
    return new CursorStore.Owner(subject, tool, Optional.ofNullable(patientId));
  }
}
