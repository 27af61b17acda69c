package io.custos.fhir.store;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Claim;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.ExplanationOfBenefit;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TimeZone;
import java.util.UUID;

/**
 * Deterministic enrichment of Synthea data with the two resource types Synthea does not generate but Custos tools
 * need: {@code Coverage} (R4 &sect;13.1, for {@code check_coverage}) and {@code Appointment} (R4 &sect;12.10, for
 * {@code list_appointments}).
 *
 * <p><b>Everything produced here is derived, not source data</b>: each resource carries
 * {@code meta.tag = https://custos.dev/fhir/CodeSystem/provenance|derived}. Ids are name-based UUIDs of their inputs,
 * and the only notions of "now" are the {@code referenceInstant} given to the constructor and the schedule start, so
 * two runs over the same input and instants produce identical resources.
 *
 * <p>Rules (applied per Patient, only when the patient has no resource of that type already):
 * <ul>
 *   <li><b>Coverage</b>: the payer of the patient's most recent Claim ({@code Claim.insurance.coverage.display};
 *       falls back to ExplanationOfBenefit) at or before the reference instant. If that payer is
 *       {@code NO_INSURANCE} (Synthea's marker for uninsured) no Coverage is created. Otherwise one Coverage with
 *       status {@code active}, {@code payor.display} = payer name, beneficiary and subscriber = the patient,
 *       relationship {@code self}, {@code period.start} = first claim of the uninterrupted run of claims with that
 *       payer, no end (or the death date for deceased patients), {@code type} = v3-ActCode {@code PUBLICPOL} for
 *       Medicare/Medicaid/Dual Eligible else {@code HIP}.</li>
 *   <li><b>Appointment</b>: one per Encounter except emergency ones ({@code class} EMER), copying period, type
 *       (as serviceType), reasonCode, the practitioner participants and the location; status {@code fulfilled} if
 *       the encounter started before the reference instant, else {@code booked}; {@code supportingInformation}
 *       points to the Encounter. In addition, living patients get 1 or 2 future {@code booked} 30-minute
 *       appointments after the schedule start: the count, day offsets (7-27 days, then +28-55 days) and hour
 *       (09:00-16:00 UTC) are derived from a SHA-256 of the patient id; practitioner, location and service type are
 *       copied from the patient's latest ambulatory encounter.</li>
 *   <li><b>Schedule and Slot</b> ({@link #enrichSchedules}): a Schedule with bookable Slots for every practitioner,
 *       in the days after the schedule start.</li>
 *   <li><b>Security labels and Consent</b> ({@link ConsentEnrichment}): DS4P labels on mental-health records and
 *       patient privacy and research Consents on a minority of patients.</li>
 * </ul>
 *
 * <p>The schedule start is the reference instant unless {@link #schedulesFrom} moves it: Synthea's history ends at
 * its own fixed instant, while a live demo needs future appointments and free slots relative to the wall clock.
 *
 * <p>Errors: none expected; resources lacking the needed elements are skipped. Logs counts only.
 */
public final class SyntheaEnrichment {

  /** Tag system marking derived resources. */
  public static final String PROVENANCE_TAG_SYSTEM = "https://custos.dev/fhir/CodeSystem/provenance";
  /** Tag code marking derived resources. */
  public static final String PROVENANCE_TAG_DERIVED = "derived";

  private static final Logger LOG = LoggerFactory.getLogger(SyntheaEnrichment.class);
  private static final TimeZone UTC = TimeZone.getTimeZone("UTC");
  private static final String ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  private static final String SUBSCRIBER_RELATIONSHIP =
      "http://terminology.hl7.org/CodeSystem/subscriber-relationship";

  /** Counts of resources added (safe to log). */
  public record Result(int coverages, int appointments) {}

  private final Instant referenceInstant;
  private final Instant scheduleStart;

  /**
   * @param referenceInstant the fixed "now": earlier encounters become fulfilled appointments, future
   *                         appointments and slots follow it (unless {@link #schedulesFrom} says otherwise), and only
   *                         claims up to it count
   */
  public SyntheaEnrichment(Instant referenceInstant) {
    this(referenceInstant, referenceInstant);
  }

  private SyntheaEnrichment(Instant referenceInstant, Instant scheduleStart) {
    this.referenceInstant = Objects.requireNonNull(referenceInstant, "referenceInstant");
    this.scheduleStart = Objects.requireNonNull(scheduleStart, "scheduleStart");
  }

  /**
   * @param start the instant after which future appointments and Slots are placed (e.g. the wall clock of a demo)
   * @return a copy of this enrichment with that schedule start; the reference instant is unchanged
   */
  public SyntheaEnrichment schedulesFrom(Instant start) {
    return new SyntheaEnrichment(referenceInstant, start);
  }

  /** @return the reference instant this enrichment uses */
  public Instant referenceInstant() {
    return referenceInstant;
  }

  /**
   * Adds derived Coverage and Appointment resources to {@code repository}.
   *
   * @return how many of each were added
   */
  public Result enrich(InMemoryRepository repository) {
    int coverages = 0;
    int appointments = 0;
    for (IBaseResource r : repository.all("Patient")) {
      Patient patient = (Patient) r;
      String pid = patient.getIdPart();
      if (repository.forPatient("Coverage", pid).isEmpty()) {
        Optional<Coverage> coverage = deriveCoverage(repository, patient);
        if (coverage.isPresent()) {
          repository.put(coverage.get());
          coverages++;
        }
      }
      if (repository.forPatient("Appointment", pid).isEmpty()) {
        for (Appointment a : deriveAppointments(repository, patient)) {
          repository.put(a);
          appointments++;
        }
      }
    }
    LOG.info("Enrichment added {} Coverage and {} Appointment resources", coverages, appointments);
    enrichSchedules(repository); // bookable Slots for book_appointment
    new ConsentEnrichment(referenceInstant).enrich(repository); // DS4P labels and patient Consents
    return new Result(coverages, appointments);
  }

  /**
   * Default reference instant when none is configured: the latest Encounter start in the repository (Synthea's
   * simulation end), or the epoch if there are no encounters. Deterministic for a given data set.
   */
  public static Instant latestEncounterStart(InMemoryRepository repository) {
    long max = Long.MIN_VALUE;
    for (IBaseResource r : repository.all("Encounter")) {
      Encounter e = (Encounter) r;
      if (e.getPeriod().hasStart()) {
        max = Math.max(max, e.getPeriod().getStart().getTime());
      }
    }
    return max == Long.MIN_VALUE ? Instant.EPOCH : Instant.ofEpochMilli(max);
  }

  // ---- Coverage ----------------------------------------------------------------------------------------------

  private record PayerAt(long time, String payer) {}

  private Optional<Coverage> deriveCoverage(InMemoryRepository repository, Patient patient) {
    String pid = patient.getIdPart();
    List<PayerAt> claims = new ArrayList<>();
    for (IBaseResource r : repository.forPatient("Claim", pid)) {
      Claim c = (Claim) r;
      Date when = c.getBillablePeriod().hasStart() ? c.getBillablePeriod().getStart() : c.getCreated();
      String payer = c.getInsurance().stream().map(i -> i.getCoverage().getDisplay())
          .filter(d -> d != null && !d.isBlank()).findFirst().orElse(null);
      if (when != null && payer != null) {
        claims.add(new PayerAt(when.getTime(), payer));
      }
    }
    if (claims.isEmpty()) {
      for (IBaseResource r : repository.forPatient("ExplanationOfBenefit", pid)) {
        ExplanationOfBenefit e = (ExplanationOfBenefit) r;
        Date when = e.getBillablePeriod().hasStart() ? e.getBillablePeriod().getStart() : e.getCreated();
        String payer = e.getInsurance().stream().map(i -> i.getCoverage().getDisplay())
            .filter(d -> d != null && !d.isBlank()).findFirst().orElse(null);
        if (when != null && payer != null) {
          claims.add(new PayerAt(when.getTime(), payer));
        }
      }
    }
    long ref = referenceInstant.toEpochMilli();
    List<PayerAt> past = claims.stream().filter(c -> c.time() <= ref)
        .sorted(Comparator.comparingLong(PayerAt::time).thenComparing(PayerAt::payer)).toList();
    if (past.isEmpty()) {
      return Optional.empty();
    }
    String payer = past.get(past.size() - 1).payer();
    if (isUninsured(payer)) {
      return Optional.empty();
    }
    long start = past.get(past.size() - 1).time();
    for (int i = past.size() - 1; i >= 0 && past.get(i).payer().equals(payer); i--) {
      start = past.get(i).time();
    }
    Coverage coverage = new Coverage();
    coverage.setIdElement(new IdType("Coverage", uuid("coverage|" + pid + "|" + payer)));
    tag(coverage);
    coverage.setStatus(Coverage.CoverageStatus.ACTIVE);
    coverage.setType(new CodeableConcept().addCoding(isPublic(payer)
        ? new Coding(ACT_CODE, "PUBLICPOL", "public healthcare")
        : new Coding(ACT_CODE, "HIP", "health insurance plan policy")).setText(payer));
    Reference patientRef = new Reference("Patient/" + pid);
    coverage.setSubscriber(patientRef.copy());
    coverage.setBeneficiary(patientRef.copy());
    coverage.setRelationship(new CodeableConcept().addCoding(new Coding(SUBSCRIBER_RELATIONSHIP, "self", "Self")));
    coverage.addPayor(new Reference().setDisplay(payer));
    Period period = new Period().setStartElement(new DateTimeType(new Date(start), TemporalPrecisionEnum.DAY, UTC));
    if (patient.hasDeceasedDateTimeType()) {
      period.setEndElement(patient.getDeceasedDateTimeType().copy());
    }
    coverage.setPeriod(period);
    return Optional.of(coverage);
  }

  private static boolean isUninsured(String payer) {
    String p = payer.toLowerCase(Locale.ROOT).replace('_', ' ').trim();
    return p.equals("no insurance") || p.equals("none") || p.equals("self pay") || p.equals("self-pay");
  }

  private static boolean isPublic(String payer) {
    String p = payer.toLowerCase(Locale.ROOT);
    return p.contains("medicare") || p.contains("medicaid") || p.contains("dual eligible");
  }

  // ---- Appointment -------------------------------------------------------------------------------------------

  private List<Appointment> deriveAppointments(InMemoryRepository repository, Patient patient) {
    String pid = patient.getIdPart();
    List<Appointment> out = new ArrayList<>();
    Encounter latestAmbulatory = null;
    for (IBaseResource r : repository.forPatient("Encounter", pid)) {
      Encounter e = (Encounter) r;
      if (!e.getPeriod().hasStart() || "EMER".equals(e.getClass_().getCode())) {
        continue;
      }
      boolean past = e.getPeriod().getStart().toInstant().isBefore(referenceInstant);
      Appointment a = new Appointment();
      a.setIdElement(new IdType("Appointment", uuid("appointment|" + e.getIdPart())));
      tag(a);
      a.setStatus(past ? Appointment.AppointmentStatus.FULFILLED : Appointment.AppointmentStatus.BOOKED);
      a.setStartElement(instant(e.getPeriod().getStartElement()));
      if (e.getPeriod().hasEnd()) {
        a.setEndElement(instant(e.getPeriod().getEndElement()));
        long minutes = Duration.between(a.getStart().toInstant(), a.getEnd().toInstant()).toMinutes();
        if (minutes > 0) {
          a.setMinutesDuration((int) Math.min(minutes, Integer.MAX_VALUE));
        }
      }
      for (CodeableConcept type : e.getType()) {
        a.addServiceType(type.copy());
        if (!a.hasDescription()) {
          a.setDescription(type.hasText() ? type.getText()
              : type.getCodingFirstRep().getDisplay());
        }
      }
      for (CodeableConcept reason : e.getReasonCode()) {
        a.addReasonCode(reason.copy());
      }
      a.addSupportingInformation(new Reference("Encounter/" + e.getIdPart()));
      addParticipants(a, pid, e);
      out.add(a);
      if ("AMB".equals(e.getClass_().getCode())
          && (latestAmbulatory == null
              || e.getPeriod().getStart().after(latestAmbulatory.getPeriod().getStart()))) {
        latestAmbulatory = e;
      }
    }
    if (!isDeceased(patient)) {
      byte[] h = sha256(pid);
      int count = 1 + (h[0] & 1);
      Instant day = scheduleStart.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
      int offsetDays = 7 + (h[1] & 0xff) % 21;
      for (int n = 0; n < count; n++) {
        int hour = 9 + (h[2 + n] & 0xff) % 8;
        Instant start = day.plus(offsetDays, ChronoUnit.DAYS).plus(hour, ChronoUnit.HOURS);
        Appointment a = new Appointment();
        a.setIdElement(new IdType("Appointment", uuid("appointment-future|" + pid + "|" + n)));
        tag(a);
        a.setStatus(Appointment.AppointmentStatus.BOOKED);
        a.setStartElement(new InstantType(Date.from(start), TemporalPrecisionEnum.SECOND, UTC));
        a.setEndElement(new InstantType(Date.from(start.plus(30, ChronoUnit.MINUTES)), TemporalPrecisionEnum.SECOND, UTC));
        a.setMinutesDuration(30);
        a.setCreatedElement(new DateTimeType(Date.from(scheduleStart), TemporalPrecisionEnum.SECOND, UTC));
        if (latestAmbulatory != null && latestAmbulatory.hasType()) {
          for (CodeableConcept type : latestAmbulatory.getType()) {
            a.addServiceType(type.copy());
          }
        }
        a.setDescription(n == 0 ? "Follow-up visit" : "Routine visit");
        addParticipants(a, pid, latestAmbulatory);
        out.add(a);
        offsetDays += 28 + (h[4] & 0xff) % 28;
      }
    }
    return out;
  }

  private static void addParticipants(Appointment a, String pid, Encounter source) {
    Appointment.ParticipationStatus accepted = Appointment.ParticipationStatus.ACCEPTED;
    a.addParticipant().setActor(new Reference("Patient/" + pid))
        .setRequired(Appointment.ParticipantRequired.REQUIRED).setStatus(accepted);
    if (source == null) {
      return;
    }
    for (Encounter.EncounterParticipantComponent p : source.getParticipant()) {
      if (p.hasIndividual() && "Practitioner".equals(p.getIndividual().getReferenceElement().getResourceType())) {
        a.addParticipant().setActor(p.getIndividual().copy())
            .setRequired(Appointment.ParticipantRequired.REQUIRED).setStatus(accepted);
      }
    }
    for (Encounter.EncounterLocationComponent l : source.getLocation()) {
      if (l.hasLocation()) {
        a.addParticipant().setActor(l.getLocation().copy())
            .setRequired(Appointment.ParticipantRequired.INFORMATIONONLY).setStatus(accepted);
      }
    }
  }

  // ---- Schedule / Slot ------------------------------------------------------------------------------------

  /** Days after the schedule start's day for which slots are generated. */
  static final int SLOT_DAYS = 14;
  /** First and last slot start hour (UTC) of a working day; slots last 30 minutes and start on the hour. */
  static final int FIRST_HOUR = 9;
  static final int LAST_HOUR = 16;
  /** FHIR R4 service-type code system (R4 valueset-service-type) and the code given to generated slots. */
  public static final String SERVICE_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/service-type";
  public static final String SERVICE_TYPE_GENERAL = "124";

  /**
   * Adds one {@code Schedule} (R4 &sect;12.11) per Practitioner without one, and its {@code Slot}s (R4 &sect;12.12):
   * every weekday of the {@value #SLOT_DAYS} days after the schedule start's day, 30-minute slots starting on the hour from
   * {@value #FIRST_HOUR}:00 to {@value #LAST_HOUR}:00 UTC, service type General Practice (service-type 124).
   * {@code Schedule.actor} is the practitioner and the location of their first PractitionerRole;
   * {@code Schedule.specialty} is copied from that role. A slot is {@code busy} when a booked Appointment of that
   * practitioner starts at the same instant, or for about one in four slots chosen by a SHA-256 of the practitioner
   * id and start (so a "taken slot" exists deterministically); otherwise {@code free}. Ids are name-based UUIDs.
   *
   * @return number of Slots added
   */
  public int enrichSchedules(InMemoryRepository repository) {
    java.util.Set<String> booked = new java.util.HashSet<>();
    for (IBaseResource r : repository.all("Appointment")) {
      Appointment a = (Appointment) r;
      if (a.getStatus() == Appointment.AppointmentStatus.BOOKED && a.hasStart()) {
        for (Appointment.AppointmentParticipantComponent p : a.getParticipant()) {
          if ("Practitioner".equals(p.getActor().getReferenceElement().getResourceType())) {
            booked.add(p.getActor().getReferenceElement().getIdPart() + "|" + a.getStart().toInstant());
          }
        }
      }
    }
    java.util.Map<String, org.hl7.fhir.r4.model.PractitionerRole> roles = new java.util.HashMap<>();
    for (IBaseResource r : repository.all("PractitionerRole")) {
      var role = (org.hl7.fhir.r4.model.PractitionerRole) r;
      if (role.hasPractitioner()) {
        roles.putIfAbsent(role.getPractitioner().getReferenceElement().getIdPart(), role);
      }
    }
    java.util.Set<String> scheduled = new java.util.HashSet<>();
    for (IBaseResource r : repository.all("Schedule")) {
      for (Reference actor : ((org.hl7.fhir.r4.model.Schedule) r).getActor()) {
        scheduled.add(actor.getReference());
      }
    }
    Instant day = scheduleStart.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
    int slots = 0;
    int schedules = 0;
    for (IBaseResource r : repository.all("Practitioner")) {
      String practitioner = r.getIdElement().getIdPart();
      if (scheduled.contains("Practitioner/" + practitioner)) {
        continue;
      }
      var schedule = new org.hl7.fhir.r4.model.Schedule();
      String scheduleId = uuid("schedule|" + practitioner);
      schedule.setIdElement(new IdType("Schedule", scheduleId));
      tag(schedule);
      schedule.setActive(true);
      schedule.addActor(new Reference("Practitioner/" + practitioner));
      var role = roles.get(practitioner);
      if (role != null) {
        role.getLocation().stream().filter(Reference::hasReference).findFirst()
            .ifPresent(l -> schedule.addActor(new Reference(l.getReference())));
        role.getSpecialty().forEach(sp -> schedule.addSpecialty(sp.copy()));
      }
      CodeableConcept general = new CodeableConcept().addCoding(
          new Coding(SERVICE_TYPE_SYSTEM, SERVICE_TYPE_GENERAL, "General Practice")).setText("General Practice");
      schedule.addServiceType(general.copy());
      schedule.setPlanningHorizon(new Period()
          .setStartElement(new DateTimeType(Date.from(day.plus(1, ChronoUnit.DAYS)), TemporalPrecisionEnum.SECOND, UTC))
          .setEndElement(new DateTimeType(Date.from(day.plus(SLOT_DAYS + 1, ChronoUnit.DAYS)), TemporalPrecisionEnum.SECOND, UTC)));
      repository.put(schedule);
      schedules++;
      for (int d = 1; d <= SLOT_DAYS; d++) {
        Instant date = day.plus(d, ChronoUnit.DAYS);
        var weekday = date.atZone(ZoneOffset.UTC).getDayOfWeek();
        if (weekday == java.time.DayOfWeek.SATURDAY || weekday == java.time.DayOfWeek.SUNDAY) {
          continue;
        }
        for (int hour = FIRST_HOUR; hour <= LAST_HOUR; hour++) {
          Instant start = date.plus(hour, ChronoUnit.HOURS);
          var slot = new org.hl7.fhir.r4.model.Slot();
          slot.setIdElement(new IdType("Slot", uuid("slot|" + practitioner + "|" + start)));
          tag(slot);
          slot.setSchedule(new Reference("Schedule/" + scheduleId));
          slot.addServiceType(general.copy());
          slot.setStartElement(new InstantType(Date.from(start), TemporalPrecisionEnum.SECOND, UTC));
          slot.setEndElement(new InstantType(Date.from(start.plus(30, ChronoUnit.MINUTES)), TemporalPrecisionEnum.SECOND, UTC));
          boolean busy = booked.contains(practitioner + "|" + start) || (sha256(practitioner + "|" + start)[0] & 3) == 0;
          slot.setStatus(busy ? org.hl7.fhir.r4.model.Slot.SlotStatus.BUSY : org.hl7.fhir.r4.model.Slot.SlotStatus.FREE);
          repository.put(slot);
          slots++;
        }
      }
    }
    LOG.info("Enrichment added {} Schedule and {} Slot resources", schedules, slots);
    return slots;
  }

  private static boolean isDeceased(Patient p) {
    return p.hasDeceasedDateTimeType() || (p.hasDeceasedBooleanType() && p.getDeceasedBooleanType().booleanValue());
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  /** An instant with the same value and offset as {@code dt} (UTC if it has none), at least second precision. */
  private static InstantType instant(DateTimeType dt) {
    TemporalPrecisionEnum precision = dt.getPrecision().ordinal() < TemporalPrecisionEnum.SECOND.ordinal()
        ? TemporalPrecisionEnum.SECOND : dt.getPrecision();
    TimeZone zone = dt.getTimeZone() != null ? dt.getTimeZone() : UTC;
    return new InstantType(dt.getValue(), precision, zone);
  }

  private static void tag(Resource r) {
    r.getMeta().addTag(PROVENANCE_TAG_SYSTEM, PROVENANCE_TAG_DERIVED,
        "Derived by Custos enrichment from Synthea data (not source data)");
  }

  private static String uuid(String seed) {
    return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
