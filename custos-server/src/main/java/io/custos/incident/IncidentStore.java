package io.custos.incident;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where incident records are kept: the exact bytes (UTF-8 JSON) whose SHA-256 the {@value Incidents#OPEN_TOOL} ledger
 * event carries. One server keeps them as files beside the ledger ({@link #files}); a fleet in its state database
 * ({@link PostgresIncidentStore}), so every replica reads the same records and one alert opens one incident fleet-wide.
 */
public interface IncidentStore {
  /**
   * Stores {@code record} as incident {@code id}, opened from alert {@code alertId}.
   *
   * @return empty when stored; the id of the incident already held for {@code alertId} when this store keeps one per
   *     alert and another was stored first (then nothing is stored)
   * @throws IOException when the record cannot be stored
   */
  Optional<String> create(String id, String alertId, byte[] record) throws IOException;

  /** The record of incident {@code id} as stored; empty when there is none. @throws IOException when unreadable */
  Optional<byte[]> read(String id) throws IOException;

  /** Removes incident {@code id} (its ledger event could not be written). @throws IOException when it cannot */
  void remove(String id) throws IOException;

  /** Records as owner-only files {@code <dir>/<id>.json}; any number of incidents per alert. */
  static IncidentStore files(Path dir) {
    return new FileIncidentStore(dir);
  }
}
