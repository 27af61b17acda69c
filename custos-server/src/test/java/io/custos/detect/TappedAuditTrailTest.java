package io.custos.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditTrail;
import io.custos.audit.AuditUnavailableException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-process event source hands the engine only durable events, each once. */
class TappedAuditTrailTest {
  static final Instant T = Instant.parse("2026-11-30T10:00:00Z");

  @Test
  void anOverlappedAppendIsDeliveredOnceItIsDurableAndOnlyOnce() {
    TestEvents.ListTrail ledger = new TestEvents.ListTrail();
    TappedAuditTrail tap = new TappedAuditTrail(ledger);
    List<AuditEvent> seen = new ArrayList<>();
    tap.start(seen::add);
    AuditEvent e = TestEvents.read("alice", T, "pt_1");
    AuditTrail.Pending pending = tap.appendAsync(e);
    assertThat(seen).isEmpty();
    pending.await();
    pending.await();
    assertThat(seen).containsExactly(e);
    AuditEvent sync = TestEvents.read("alice", T, "pt_2");
    tap.append(sync);
    assertThat(seen).containsExactly(e, sync);
    assertThat(ledger.events).containsExactly(e, sync);
  }

  @Test
  void anEventThatDoesNotBecomeDurableIsNotDelivered() {
    AuditTrail failing = new AuditTrail() {
      @Override
      public void append(AuditEvent event) {
        throw new AuditUnavailableException(new java.io.IOException("disk full"));
      }

      @Override
      public void close() {
      }
    };
    TappedAuditTrail tap = new TappedAuditTrail(failing);
    List<AuditEvent> seen = new ArrayList<>();
    tap.start(seen::add);
    assertThatThrownBy(() -> tap.append(TestEvents.read("alice", T, "pt_1"))).isInstanceOf(AuditUnavailableException.class);
    assertThat(seen).isEmpty();
  }
}
