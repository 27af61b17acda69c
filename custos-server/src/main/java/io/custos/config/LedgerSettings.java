package io.custos.config;

import io.custos.verify.PrunedRanges;
import java.util.List;

/**
 * The {@code ledger:} section of {@code custos.yaml}: how the audit ledger is kept. One key so far; later ledger
 * settings (e.g. its store) are added here as further components, each {@code null} when absent and filled by
 * {@link #withDefaults()}.
 *
 * @param retentionDays how long audit entries are kept before {@code custos audit prune} may delete them, in days,
 *                      1..36500; default {@value #DEFAULT_RETENTION_DAYS} (six years counting leap days, HIPAA
 *                      45 CFR 164.316(b)(2)); shorter values are accepted with a warning at prune time
 * @param witnessDir    a directory, on other storage than the data directory, that receives a copy of every signed
 *                      checkpoint (RFC 9162 section 8.2 witnessing; {@code custos audit verify --witness}); default none.
 *                      Each server of a fleet needs its own.
 */
public record LedgerSettings(Long retentionDays, String witnessDir) {
  /** Six years, counting leap days (45 CFR 164.316(b)(2)). */
  public static final long DEFAULT_RETENTION_DAYS = PrunedRanges.DEFAULT_RETENTION_DAYS;
  private static final long MAX_RETENTION_DAYS = 36_500;

  @com.fasterxml.jackson.annotation.JsonCreator
  public LedgerSettings {
    // the canonical constructor is the one the YAML binds to
  }

  /** Settings without a witness. */
  public LedgerSettings(Long retentionDays) {
    this(retentionDays, null);
  }

  /** @return these settings with every absent key at its default */
  public LedgerSettings withDefaults() {
    return new LedgerSettings(retentionDays == null ? DEFAULT_RETENTION_DAYS : retentionDays, witnessDir);
  }

  /** The witness directory, absolute; empty when none is configured. */
  public java.util.Optional<java.nio.file.Path> witness() {
    return java.util.Optional.ofNullable(witnessDir).map(d -> java.nio.file.Path.of(d).toAbsolutePath());
  }

  /** Adds one message per invalid key to {@code errors}, each naming its key. */
  void validate(List<String> errors) {
    if (retentionDays != null && (retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS)) {
      errors.add("ledger.retentionDays: must be 1.." + MAX_RETENTION_DAYS);
    }
  }
}
