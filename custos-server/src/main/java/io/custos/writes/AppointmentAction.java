package io.custos.writes;

import io.custos.phi.UntrustedText;
import io.custos.fhir.UpstreamNeed;
import io.custos.pipeline.ToolCallException;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.WriteOutcome;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Schedule;
import org.hl7.fhir.r4.model.Slot;

/**
 * {@code book_appointment}: finds a free FHIR R4 Slot (&sect;12.12) on a Schedule (&sect;12.11) whose
 * {@code actor} is the practitioner, in the date range (optionally of a service type, or the exact
 * {@code slot_id}), and books an Appointment (&sect;12.10): {@code status = booked}, {@code slot}, start/end of the
 * slot, {@code serviceType}, the patient and the practitioner as accepted participants. A slot that is not
 * {@code free} is refused with {@code slot_taken}. On commit the slot is set {@code busy} with a version-aware
 * update ({@code If-Match}, R4 3.1.0.5.4) so two bookings cannot take the same slot, then the Appointment is
 * created (conditionally, once); if that fails the slot is released again.
 */
final class AppointmentAction implements WriteAction {

  /** Finds the practitioner's Schedules and a free Slot in them, then marks that Slot busy (If-Match). */
  @Override
  public List<UpstreamNeed> upstreamNeeds() {
    return List.of(UpstreamNeed.searchParam("Schedule", "actor"), UpstreamNeed.searchParam("Slot", "schedule"),
        UpstreamNeed.searchParam("Slot", "status"), UpstreamNeed.searchParam("Slot", "start"),
        UpstreamNeed.searchParam("Slot", "service-type"), UpstreamNeed.interaction("Slot", UpstreamNeed.Interaction.READ),
        UpstreamNeed.interaction("Slot", UpstreamNeed.Interaction.UPDATE));
  }
  static final int MAX_RANGE_DAYS = 31;

  @Override
  public Draft draft(Context ctx) {
    var args = ctx.args();
    String practitioner = args.required("practitioner_id");
    LocalDate from = date(args.required("date_from"), "date_from");
    LocalDate to = date(args.required("date_to"), "date_to");
    if (from.isAfter(to)) {
      throw FhirWrites.invalid("date_from must not be after date_to.");
    }
    if (ChronoUnit.DAYS.between(from, to) > MAX_RANGE_DAYS) {
      throw FhirWrites.invalid("The date range may span at most " + MAX_RANGE_DAYS + " days.");
    }
    List<Schedule> schedules = new ArrayList<>();
    for (Resource r : FhirWrites.search(ctx.upstream(), "Schedule",
        Map.of("actor", List.of("Practitioner/" + practitioner)), 20)) {
      schedules.add((Schedule) r);
    }
    if (schedules.isEmpty()) {
      throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The practitioner has no bookable schedule.");
    }
    Slot slot = args.string("slot_id").map(id -> requested(ctx, id, schedules))
        .orElseGet(() -> firstFree(ctx, schedules, from, to, args.string("service_type")));
    String start = slot.getStartElement().getValueAsString();
    if (slot.getStart().toInstant().isBefore(ctx.now())) {
      throw new ToolCallException(ToolCallException.Reason.SLOT_TAKEN, "That slot is in the past; choose a future slot.");
    }
    Appointment a = new Appointment();
    a.addIdentifier(FhirWrites.proposalIdentifier(ctx.proposalId()));
    a.setStatus(Appointment.AppointmentStatus.BOOKED);
    slot.getServiceType().forEach(t -> a.addServiceType(t.copy()));
    a.setDescription(args.string("description").map(String::strip).filter(s -> !s.isEmpty()).orElse("Appointment"));
    a.setStartElement(slot.getStartElement().copy());
    a.setEndElement(slot.getEndElement().copy());
    a.setMinutesDuration((int) ChronoUnit.MINUTES.between(slot.getStart().toInstant(), slot.getEnd().toInstant()));
    a.addSlot(new Reference("Slot/" + slot.getIdPart()));
    a.setCreatedElement(FhirWrites.dateTime(ctx.now()));
    a.addParticipant().setActor(FhirWrites.patient(ctx.patientId()))
        .setRequired(Appointment.ParticipantRequired.REQUIRED).setStatus(Appointment.ParticipationStatus.ACCEPTED);
    a.addParticipant().setActor(new Reference("Practitioner/" + practitioner))
        .setRequired(Appointment.ParticipantRequired.REQUIRED).setStatus(Appointment.ParticipationStatus.ACCEPTED);
    String version = slot.getMeta().hasVersionId() ? slot.getMeta().getVersionId() : "1";
    Map<String, String> bindings = new LinkedHashMap<>();
    bindings.put("slot", slot.getIdPart());
    bindings.put("slotVersion", version);
    String preview = "Book appointment\n"
        + "Patient: Patient/" + ctx.patientId() + "\n"
        + "Practitioner: Practitioner/" + practitioner + "\n"
        + "When: " + start + " to " + slot.getEndElement().getValueAsString() + "\n"
        + "Service: " + slot.getServiceType().stream().map(c -> UntrustedText.label(c.hasText() ? c.getText() : c.getCodingFirstRep().getDisplay()))
            .filter(java.util.Objects::nonNull).findFirst().orElse("(unspecified)") + "\n"
        + "Description: " + UntrustedText.reveal(a.getDescription()) + "\n"
        + "Slot: Slot/" + slot.getIdPart();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("slot_id", slot.getIdPart());
    details.put("start", start);
    details.put("end", slot.getEndElement().getValueAsString());
    return new Draft(a, preview, bindings, details);
  }

  private static Slot requested(Context ctx, String id, List<Schedule> schedules) {
    Slot slot;
    try {
      slot = (Slot) ctx.upstream().execute(new io.custos.fhir.UpstreamRequest.Read("Slot", id)).resources().get(0);
    } catch (UpstreamException e) {
      if (e.kind() == UpstreamException.Kind.NOT_FOUND) {
        throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "No such slot.");
      }
      throw e;
    }
    boolean ours = schedules.stream().anyMatch(s -> ("Schedule/" + s.getIdPart()).equals(slot.getSchedule().getReference()));
    if (!ours) {
      throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "That slot is not on this practitioner's schedule.");
    }
    if (slot.getStatus() != Slot.SlotStatus.FREE) {
      throw new ToolCallException(ToolCallException.Reason.SLOT_TAKEN,
          "That slot is already taken (status " + slot.getStatus().toCode() + "); choose another free slot.");
    }
    return slot;
  }

  private static Slot firstFree(Context ctx, List<Schedule> schedules, LocalDate from, LocalDate to, Optional<String> service) {
    List<Slot> free = new ArrayList<>();
    for (Schedule s : schedules) {
      Map<String, List<String>> p = new LinkedHashMap<>();
      p.put("schedule", List.of("Schedule/" + s.getIdPart()));
      p.put("status", List.of("free"));
      p.put("start", List.of("ge" + from, "le" + to));
      service.ifPresent(code -> p.put("service-type", List.of(code)));
      p.put("_sort", List.of("start"));
      FhirWrites.search(ctx.upstream(), "Slot", p, 50).forEach(r -> free.add((Slot) r));
    }
    return free.stream().filter(s -> s.hasStart() && s.hasEnd() && !s.getStart().toInstant().isBefore(ctx.now()))
        .min(Comparator.comparing(Slot::getStart).thenComparing(Slot::getIdPart))
        .orElseThrow(() -> new ToolCallException(ToolCallException.Reason.NOT_FOUND,
            "No free slot for this practitioner in the date range; try other dates."));
  }

  private static LocalDate date(String value, String name) {
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw FhirWrites.invalid(name + " is not a valid calendar date (YYYY-MM-DD).");
    }
  }

  @Override
  public WriteOutcome commit(Resource resource, Map<String, String> bindings, String proposalId, FhirUpstream upstream) {
    String slotId = bindings.get("slot");
    Slot slot;
    try {
      slot = (Slot) upstream.execute(new io.custos.fhir.UpstreamRequest.Read("Slot", slotId)).resources().get(0);
    } catch (UpstreamException e) {
      if (e.kind() == UpstreamException.Kind.NOT_FOUND) {
        throw new ToolCallException(ToolCallException.Reason.SLOT_TAKEN, "The slot no longer exists; propose another booking.");
      }
      throw e;
    }
    String current = slot.getMeta().hasVersionId() ? slot.getMeta().getVersionId() : "1";
    if (slot.getStatus() != Slot.SlotStatus.FREE || !current.equals(bindings.get("slotVersion"))) {
      throw new ToolCallException(ToolCallException.Reason.SLOT_TAKEN,
          "The slot was taken after the proposal was made; nothing was written. Propose another booking.");
    }
    slot.setStatus(Slot.SlotStatus.BUSY);
    WriteOutcome slotWrite;
    try {
      slotWrite = upstream.update(slot, Optional.of(current));
    } catch (UpstreamException e) {
      if (e.status() == 409 || e.status() == 412) {
        throw new ToolCallException(ToolCallException.Reason.SLOT_TAKEN,
            "The slot was taken by another booking at the same moment; nothing was written.");
      }
      throw e;
    }
    try {
      return upstream.create(resource, Optional.of(FhirWrites.ifNoneExist(proposalId)));
    } catch (RuntimeException e) {
      slot.setStatus(Slot.SlotStatus.FREE); // compensate: release the slot
      try {
        upstream.update(slot, Optional.ofNullable(slotWrite.versionId()));
      } catch (RuntimeException ignored) {
        // the failure below is reported; the slot stays busy and is visible as such
      }
      throw e;
    }
  }
}
