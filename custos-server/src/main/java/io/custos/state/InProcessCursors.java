package io.custos.state;

import io.custos.pipeline.CursorStore;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Cursors in a least-recently-used map of bounded size; expired ones are dropped on lookup and by sweeps. */
final class InProcessCursors implements CursorStore {
  private record Cursor(Owner owner, String nextLink, Instant expires) {}

  private final Clock clock;
  private final Sweep sweep;
  private final Map<String, Cursor> entries;

  InProcessCursors(Clock clock, Sweep sweep, int maxEntries) {
    this.clock = clock;
    this.sweep = sweep;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cursor> eldest) {
        return size() > maxEntries;
      }
    };
  }

  @Override
  public synchronized String issue(Owner owner, String nextLink, Instant expiresAt) {
    if (sweep.due()) {
      Instant now = clock.instant();
      entries.values().removeIf(c -> !now.isBefore(c.expires()));
    }
    String cursor = RandomIds.next();
    entries.put(cursor, new Cursor(owner, nextLink, expiresAt));
    return cursor;
  }

  @Override
  public synchronized Optional<String> resolve(String cursor, Owner owner) {
    Cursor c = entries.get(cursor);
    if (c == null) {
      return Optional.empty();
    }
    if (!clock.instant().isBefore(c.expires())) {
      entries.remove(cursor);
      return Optional.empty();
    }
    return c.owner().equals(owner) ? Optional.of(c.nextLink()) : Optional.empty();
  }
}
