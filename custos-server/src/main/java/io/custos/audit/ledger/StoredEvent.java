package io.custos.audit.ledger;

import io.custos.audit.AuditEvent;

/** A decrypted ledger entry: its leaf index and the event. */
public record StoredEvent(long leafIndex, AuditEvent event) {}
