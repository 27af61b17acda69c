package io.custos.fhir.store;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.custos.phi.SyntheaFixture;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Slot;
import org.junit.jupiter.api.Test;

/**
 * Synthea's history ends at a fixed instant, but a live demo books relative to today: with a schedule start, the
 * free Slots and future booked Appointments follow it, while the reference instant still decides the history.
 */
class ScheduleStartTest {
  private static final Instant TODAY = Instant.parse("2031-03-04T10:15:00Z");

  private static InMemoryRepository enriched(SyntheaEnrichment enrichment) {
    InMemoryRepository repo = new InMemoryRepository(FhirContext.forR4Cached());
    new SyntheaBundleLoader(repo).loadDirectory(SyntheaFixture.directory());
    enrichment.enrich(repo);
    return repo;
  }

  @Test
  void slotsAndFutureAppointmentsFollowTheScheduleStart() {
    SyntheaEnrichment enrichment = new SyntheaEnrichment(SyntheaFixture.REFERENCE).schedulesFrom(TODAY);
    InMemoryRepository repo = enriched(enrichment);

    List<Slot> slots = repo.all("Slot").stream().map(Slot.class::cast).toList();
    assertThat(slots).isNotEmpty();
    assertThat(slots).allSatisfy(s -> assertThat(s.getStart().toInstant())
        .isAfter(TODAY).isBefore(TODAY.plus(SyntheaEnrichment.SLOT_DAYS + 1, ChronoUnit.DAYS)));
    assertThat(slots).anyMatch(s -> s.getStatus() == Slot.SlotStatus.FREE);
    List<Appointment> booked = repo.all("Appointment").stream().map(Appointment.class::cast)
        .filter(a -> a.getStatus() == Appointment.AppointmentStatus.BOOKED).toList();
    assertThat(booked).isNotEmpty().allSatisfy(a -> assertThat(a.getStart().toInstant()).isAfter(TODAY));
    assertThat(enrichment.referenceInstant()).isEqualTo(SyntheaFixture.REFERENCE);
  }

  @Test
  void withoutAScheduleStartSlotsFollowTheReferenceInstant() {
    InMemoryRepository repo = enriched(new SyntheaEnrichment(SyntheaFixture.REFERENCE));

    assertThat(repo.all("Slot")).isNotEmpty().allSatisfy(s -> assertThat(((Slot) s).getStart().toInstant())
        .isAfter(SyntheaFixture.REFERENCE).isBefore(TODAY));
  }
}
