package io.custos.verify;

import java.io.IOException;

/** The ledger's files are damaged or tampered with in a way that must not be repaired silently. */
public final class LedgerCorruptException extends IOException {
  public LedgerCorruptException(String message) {
    super(message);
  }
}
