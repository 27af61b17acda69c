package io.custos.pipeline;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Server-side page cursors. A client only ever holds a random 128-bit cursor id; the upstream {@code next}
 * link (which may carry search values) stays here, bound to the user, tool and patient that created it,
 * so a cursor can neither leak PHI nor be replayed by another user or for another patient.
 * Bounded in size (LRU) and time.
 */
final class PageCursors {
  private record Cursor(String subject, String tool, String patientId, String nextLink, Instant expires) {}

  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final Duration ttl;
  private final int maxEntries;
  private final Map<String, Cursor> entries;

  PageCursors(Clock clock, Duration ttl, int maxEntries) {
    this.clock = clock;
    this.ttl = ttl;
    this.maxEntries = maxEntries;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cursor> eldest) {
        return size() > PageCursors.this.maxEntries;
      }
    };
  }

  /** Stores a next link and returns its opaque id (22 base64url characters). */
  synchronized String issue(String subject, String tool, String patientId, String nextLink) {
    byte[] id = new byte[16];
    random.nextBytes(id);
    String cursor = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    entries.put(cursor, new Cursor(subject, tool, patientId, nextLink, clock.instant().plus(ttl)));
    return cursor;
  }

  /** The next link for {@code cursor} if it exists, is unexpired and belongs to this user, tool and patient. */
  synchronized Optional<String> resolve(String cursor, String subject, String tool, String patientId) {
    Cursor e = entries.get(cursor);
    if (e == null || clock.instant().isAfter(e.expires()) || !e.subject().equals(subject) || !e.tool().equals(tool)
        || !java.util.Objects.equals(e.patientId(), patientId)) {
      return Optional.empty();
    }
    return Optional.of(e.nextLink());
  }
}
