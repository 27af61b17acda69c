package io.custos.state;

import java.time.Instant;

/** Records that a value was used, so that it is honoured once (replay protection). */
public interface SingleUseRecords {
  /**
   * Claims {@code key}, atomically across every thread (and every server sharing the store).
   *
   * @param key       what is used once (for example a digest of a sealed value, prefixed by the user's {@code sub})
   * @param expiresAt when the record may be forgotten; the value it guards must itself be refused after this instant
   * @return true the first time {@code key} is claimed; false on every later claim until {@code expiresAt}, and false
   *         when {@code expiresAt} is not after now (an expired value is never honoured)
   * @throws StateFullException when the store holds as many unexpired records as it may (fail closed)
   */
  boolean claimOnce(String key, Instant expiresAt);
}
