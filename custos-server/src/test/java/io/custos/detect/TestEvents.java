package io.custos.detect;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditIds;
import io.custos.audit.AuditTrail;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** Audit events for detection tests, and a trail that keeps what is appended. */
final class TestEvents {
  private TestEvents() {}

  /** A result event of {@code tool} by {@code user} (roles) at {@code at} about {@code patients}. */
  static AuditEvent result(String user, Set<String> roles, String tool, Instant at, String outcome, int records,
      String... patients) {
    return new AuditEvent(AuditIds.event(), AuditIds.call(), at, AuditEvent.Phase.RESULT, user, "Practitioner/" + user,
        "client", "session", "tokhash", roles, tool, null, List.of(patients), "user/*.rs", outcome, records, null, 1000,
        "127.0.0.1", "test");
  }

  /** A successful single-patient read by a clinician. */
  static AuditEvent read(String user, Instant at, String patient) {
    return result(user, Set.of("clinician"), "get_active_conditions", at, "success", 3, patient);
  }

  /** An audit trail in memory. */
  static final class ListTrail implements AuditTrail {
    final List<AuditEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void append(AuditEvent event) {
      events.add(event);
    }

    @Override
    public void close() {
    }
  }
}
