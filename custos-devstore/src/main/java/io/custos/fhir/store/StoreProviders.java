package io.custos.fhir.store;

import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Sort;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.StringAndListParam;
import ca.uhn.fhir.rest.param.TokenAndListParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import org.hl7.fhir.r4.model.AllergyIntolerance;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.CareTeam;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Coverage;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Immunization;
import org.hl7.fhir.r4.model.Location;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static io.custos.fhir.store.SearchMatchers.all;
import static io.custos.fhir.store.SearchMatchers.code;
import static io.custos.fhir.store.SearchMatchers.concept;
import static io.custos.fhir.store.SearchMatchers.concepts;
import static io.custos.fhir.store.SearchMatchers.date;
import static io.custos.fhir.store.SearchMatchers.reference;

/**
 * The embedded store's resource providers (HAPI plain server, FHIR R4 &sect;3.1.0 RESTful API). Every provider
 * supports {@code read}; the search parameters below follow the R4 resource definitions' search parameter tables
 * (names, types and paths), with the matching rules documented in {@link SearchMatchers}. All search parameters are
 * optional; parameters not listed are rejected by HAPI with HTTP 400. {@code _count} and paging are handled by the
 * server's paging provider.
 *
 * <table>
 *   <caption>Supported search parameters</caption>
 *   <tr><th>Type</th><th>Parameters</th><th>{@code _sort}</th></tr>
 *   <tr><td>Patient</td><td>_id, name, family, given, birthdate, identifier, gender</td><td>birthdate</td></tr>
 *   <tr><td>Observation</td><td>patient, subject, code, category, date, status</td><td>date</td></tr>
 *   <tr><td>Condition</td><td>patient, subject, clinical-status, category, code</td><td>onset-date</td></tr>
 *   <tr><td>MedicationRequest</td><td>patient, subject, status, intent, authoredon</td><td>authoredon</td></tr>
 *   <tr><td>AllergyIntolerance</td><td>patient, clinical-status</td><td>-</td></tr>
 *   <tr><td>Immunization</td><td>patient, date, status</td><td>date</td></tr>
 *   <tr><td>DocumentReference</td><td>patient, subject, date, type, category, status</td><td>date</td></tr>
 *   <tr><td>Encounter</td><td>patient, subject, date, class, type, status</td><td>date</td></tr>
 *   <tr><td>Appointment</td><td>patient, actor, date, status</td><td>date</td></tr>
 *   <tr><td>Coverage</td><td>beneficiary, patient, status</td><td>-</td></tr>
 *   <tr><td>CareTeam</td><td>patient, subject, status</td><td>-</td></tr>
 *   <tr><td>Consent</td><td>patient, status, scope</td><td>-</td></tr>
 *   <tr><td>PractitionerRole</td><td>practitioner, organization</td><td>-</td></tr>
 *   <tr><td>Practitioner</td><td>_id, identifier, name, family, given</td><td>-</td></tr>
 *   <tr><td>Organization, Location</td><td>_id, identifier, name</td><td>-</td></tr>
 *   <tr><td>Slot</td><td>_id, schedule, start, status, service-type</td><td>start</td></tr>
 *   <tr><td>Schedule</td><td>_id, actor, active</td><td>-</td></tr>
 *   <tr><td>ClaimResponse</td><td>patient, request, use</td><td>-</td></tr>
 *   <tr><td>Communication, Claim, QuestionnaireResponse, any other loaded type</td><td>patient (via subject/patient/beneficiary)</td><td>-</td></tr>
 * </table>
 */
public final class StoreProviders {

  private StoreProviders() {}

  /**
   * Creates the providers for a repository: the typed providers above, plus a {@link GenericProvider} for every
   * other resource type present in the repository at call time.
   */
  public static List<IResourceProvider> create(InMemoryRepository repository) {
    List<StoreResourceProvider<?>> typed = List.of(
        new PatientProvider(repository), new ObservationProvider(repository), new ConditionProvider(repository),
        new MedicationRequestProvider(repository), new AllergyIntoleranceProvider(repository),
        new ImmunizationProvider(repository), new DocumentReferenceProvider(repository),
        new EncounterProvider(repository), new AppointmentProvider(repository), new CoverageProvider(repository),
        new CareTeamProvider(repository), new ConsentProvider(repository), new PractitionerRoleProvider(repository),
        new PractitionerProvider(repository),
        new OrganizationProvider(repository), new LocationProvider(repository),
        // Scheduling, prior authorization status, and the written resource types, which
        // need providers (create, read, search by patient) even before the first one exists.
        new SlotProvider(repository), new ScheduleProvider(repository), new ClaimResponseProvider(repository),
        new GenericProvider<>(repository, org.hl7.fhir.r4.model.Communication.class),
        new GenericProvider<>(repository, org.hl7.fhir.r4.model.Claim.class),
        new GenericProvider<>(repository, org.hl7.fhir.r4.model.QuestionnaireResponse.class));
    List<IResourceProvider> out = new ArrayList<>(typed);
    Set<String> covered = new java.util.HashSet<>();
    typed.forEach(p -> covered.add(p.typeName));
    for (String type : repository.types()) {
      if (!covered.contains(type)) {
        @SuppressWarnings("unchecked")
        Class<? extends Resource> cls =
            (Class<? extends Resource>) repository.fhirContext().getResourceDefinition(type).getImplementingClass();
        out.add(genericProvider(repository, cls));
      }
    }
    return out;
  }

  private static <T extends Resource> GenericProvider<T> genericProvider(InMemoryRepository repo, Class<T> cls) {
    return new GenericProvider<>(repo, cls);
  }

  private static <T extends Resource> Map<String, Function<T, Base>> sorts(String name, Function<T, Base> key) {
    Map<String, Function<T, Base>> m = new LinkedHashMap<>();
    m.put(name, key);
    return m;
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** Read + search by {@code patient} for resource types without a dedicated provider. */
  public static final class GenericProvider<T extends Resource> extends StoreResourceProvider<T> {
    public GenericProvider(InMemoryRepository repository, Class<T> type) {
      super(repository, type);
    }

    /** @param patient {@code [Patient/]id}; resources linked to that patient via subject/patient/beneficiary */
    @Search
    public IBundleProvider search(@OptionalParam(name = "patient") ReferenceParam patient) {
      String pid = SearchMatchers.patientId(patient);
      if (patient != null && pid == null) {
        return new CopyingBundleProvider(List.of());
      }
      return respond(candidates(patient), r -> true, null, Map.of());
    }
  }

  /** Patient search (R4 Patient search parameters). */
  public static final class PatientProvider extends StoreResourceProvider<Patient> {
    public PatientProvider(InMemoryRepository repository) {
      super(repository, Patient.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenAndListParam id,
        @OptionalParam(name = Patient.SP_NAME) StringAndListParam name,
        @OptionalParam(name = Patient.SP_FAMILY) StringAndListParam family,
        @OptionalParam(name = Patient.SP_GIVEN) StringAndListParam given,
        @OptionalParam(name = Patient.SP_BIRTHDATE) DateRangeParam birthdate,
        @OptionalParam(name = Patient.SP_IDENTIFIER) TokenAndListParam identifier,
        @OptionalParam(name = Patient.SP_GENDER) TokenAndListParam gender,
        @Sort SortSpec sort) {
      return respond(candidates(), p ->
              all(id, (ca.uhn.fhir.rest.param.TokenParam t) -> SearchMatchers.id(t, p.getIdPart()))
                  && all(name, s -> SearchMatchers.humanName(s, p.getName(), false, false, true))
                  && all(family, s -> SearchMatchers.humanName(s, p.getName(), true, false, false))
                  && all(given, s -> SearchMatchers.humanName(s, p.getName(), false, true, false))
                  && date(birthdate, p.getBirthDateElement())
                  && all(identifier, t -> SearchMatchers.identifiers(t, p.getIdentifier()))
                  && all(gender, t -> code(t, p.getGenderElement())),
          sort, sorts(Patient.SP_BIRTHDATE, Patient::getBirthDateElement));
    }
  }

  /** Observation search; {@code date} is {@code effective[x]}. */
  public static final class ObservationProvider extends StoreResourceProvider<Observation> {
    public ObservationProvider(InMemoryRepository repository) {
      super(repository, Observation.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = Observation.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = Observation.SP_SUBJECT) ReferenceParam subject,
        @OptionalParam(name = Observation.SP_CODE) TokenAndListParam code,
        @OptionalParam(name = Observation.SP_CATEGORY) TokenAndListParam category,
        @OptionalParam(name = Observation.SP_DATE) DateRangeParam date,
        @OptionalParam(name = Observation.SP_STATUS) TokenAndListParam status,
        @Sort SortSpec sort) {
      return respond(candidates(patient, subject), o ->
              (patient == null || reference(patient, o.getSubject(), "Patient"))
                  && (subject == null || reference(subject, o.getSubject(), null))
                  && all(code, t -> concept(t, o.getCode()))
                  && all(category, t -> concepts(t, o.getCategory()))
                  && date(date, o.getEffective())
                  && all(status, t -> code(t, o.getStatusElement())),
          sort, sorts(Observation.SP_DATE, Observation::getEffective));
    }
  }

  /** Condition search. */
  public static final class ConditionProvider extends StoreResourceProvider<Condition> {
    public ConditionProvider(InMemoryRepository repository) {
      super(repository, Condition.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = Condition.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = Condition.SP_SUBJECT) ReferenceParam subject,
        @OptionalParam(name = Condition.SP_CLINICAL_STATUS) TokenAndListParam clinicalStatus,
        @OptionalParam(name = Condition.SP_CATEGORY) TokenAndListParam category,
        @OptionalParam(name = Condition.SP_CODE) TokenAndListParam code,
        @Sort SortSpec sort) {
      return respond(candidates(patient, subject), c ->
              (patient == null || reference(patient, c.getSubject(), "Patient"))
                  && (subject == null || reference(subject, c.getSubject(), null))
                  && all(clinicalStatus, t -> concept(t, c.getClinicalStatus()))
                  && all(category, t -> concepts(t, c.getCategory()))
                  && all(code, t -> concept(t, c.getCode())),
          sort, sorts("onset-date", Condition::getOnset));
    }
  }

  /** MedicationRequest search. */
  public static final class MedicationRequestProvider extends StoreResourceProvider<MedicationRequest> {
    public MedicationRequestProvider(InMemoryRepository repository) {
      super(repository, MedicationRequest.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = MedicationRequest.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = MedicationRequest.SP_SUBJECT) ReferenceParam subject,
        @OptionalParam(name = MedicationRequest.SP_STATUS) TokenAndListParam status,
        @OptionalParam(name = MedicationRequest.SP_INTENT) TokenAndListParam intent,
        @OptionalParam(name = MedicationRequest.SP_AUTHOREDON) DateRangeParam authoredOn,
        @Sort SortSpec sort) {
      return respond(candidates(patient, subject), m ->
              (patient == null || reference(patient, m.getSubject(), "Patient"))
                  && (subject == null || reference(subject, m.getSubject(), null))
                  && all(status, t -> code(t, m.getStatusElement()))
                  && all(intent, t -> code(t, m.getIntentElement()))
                  && date(authoredOn, m.getAuthoredOnElement()),
          sort, sorts(MedicationRequest.SP_AUTHOREDON, MedicationRequest::getAuthoredOnElement));
    }
  }

  /** AllergyIntolerance search. */
  public static final class AllergyIntoleranceProvider extends StoreResourceProvider<AllergyIntolerance> {
    public AllergyIntoleranceProvider(InMemoryRepository repository) {
      super(repository, AllergyIntolerance.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = AllergyIntolerance.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = AllergyIntolerance.SP_CLINICAL_STATUS) TokenAndListParam clinicalStatus) {
      return respond(candidates(patient), a ->
              (patient == null || reference(patient, a.getPatient(), "Patient"))
                  && all(clinicalStatus, t -> concept(t, a.getClinicalStatus())),
          null, Map.of());
    }
  }

  /** Immunization search; {@code date} is {@code occurrence[x]}. */
  public static final class ImmunizationProvider extends StoreResourceProvider<Immunization> {
    public ImmunizationProvider(InMemoryRepository repository) {
      super(repository, Immunization.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = Immunization.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = Immunization.SP_DATE) DateRangeParam date,
        @OptionalParam(name = Immunization.SP_STATUS) TokenAndListParam status,
        @Sort SortSpec sort) {
      return respond(candidates(patient), i ->
              (patient == null || reference(patient, i.getPatient(), "Patient"))
                  && date(date, i.getOccurrence())
                  && all(status, t -> code(t, i.getStatusElement())),
          sort, sorts(Immunization.SP_DATE, Immunization::getOccurrence));
    }
  }

  /** DocumentReference search; {@code date} is {@code DocumentReference.date}. */
  public static final class DocumentReferenceProvider extends StoreResourceProvider<DocumentReference> {
    public DocumentReferenceProvider(InMemoryRepository repository) {
      super(repository, DocumentReference.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = DocumentReference.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = DocumentReference.SP_SUBJECT) ReferenceParam subject,
        @OptionalParam(name = DocumentReference.SP_DATE) DateRangeParam date,
        @OptionalParam(name = DocumentReference.SP_TYPE) TokenAndListParam type,
        @OptionalParam(name = DocumentReference.SP_CATEGORY) TokenAndListParam category,
        @OptionalParam(name = DocumentReference.SP_STATUS) TokenAndListParam status,
        @Sort SortSpec sort) {
      return respond(candidates(patient, subject), d ->
              (patient == null || reference(patient, d.getSubject(), "Patient"))
                  && (subject == null || reference(subject, d.getSubject(), null))
                  && date(date, d.getDateElement())
                  && all(type, t -> concept(t, d.getType()))
                  && all(category, t -> concepts(t, d.getCategory()))
                  && all(status, t -> code(t, d.getStatusElement())),
          sort, sorts(DocumentReference.SP_DATE, DocumentReference::getDateElement));
    }
  }

  /** Encounter search; {@code date} is {@code Encounter.period}. */
  public static final class EncounterProvider extends StoreResourceProvider<Encounter> {
    public EncounterProvider(InMemoryRepository repository) {
      super(repository, Encounter.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = Encounter.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = Encounter.SP_SUBJECT) ReferenceParam subject,
        @OptionalParam(name = Encounter.SP_DATE) DateRangeParam date,
        @OptionalParam(name = Encounter.SP_CLASS) TokenAndListParam encounterClass,
        @OptionalParam(name = Encounter.SP_TYPE) TokenAndListParam type,
        @OptionalParam(name = Encounter.SP_STATUS) TokenAndListParam status,
        @OptionalParam(name = Encounter.SP_PARTICIPANT) ReferenceParam participant,
        @Sort SortSpec sort) {
      return respond(candidates(patient, subject), e ->
              (patient == null || reference(patient, e.getSubject(), "Patient"))
                  && (subject == null || reference(subject, e.getSubject(), null))
                  && (participant == null || e.getParticipant().stream().anyMatch(p -> reference(participant, p.getIndividual(), null)))
                  && date(date, e.getPeriod())
                  && all(encounterClass, t -> SearchMatchers.codings(t,
                      e.hasClass_() ? List.of(e.getClass_()) : List.of(), List.of()))
                  && all(type, t -> concepts(t, e.getType()))
                  && all(status, t -> code(t, e.getStatusElement())),
          sort, sorts(Encounter.SP_DATE, Encounter::getPeriod));
    }
  }

  /** Appointment search; {@code date} is {@code Appointment.start}, {@code patient}/{@code actor} are participants. */
  public static final class AppointmentProvider extends StoreResourceProvider<Appointment> {
    public AppointmentProvider(InMemoryRepository repository) {
      super(repository, Appointment.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = Appointment.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = Appointment.SP_ACTOR) ReferenceParam actor,
        @OptionalParam(name = Appointment.SP_DATE) DateRangeParam date,
        @OptionalParam(name = Appointment.SP_STATUS) TokenAndListParam status,
        @Sort SortSpec sort) {
      return respond(candidates(patient, actor), a -> {
        List<Reference> actors = a.getParticipant().stream()
            .map(Appointment.AppointmentParticipantComponent::getActor).toList();
        return (patient == null || SearchMatchers.anyReference(patient, actors, "Patient"))
            && (actor == null || SearchMatchers.anyReference(actor, actors, null))
            && date(date, a.getStartElement())
            && all(status, t -> code(t, a.getStatusElement()));
      }, sort, sorts(Appointment.SP_DATE, Appointment::getStartElement));
    }
  }

  /** Coverage search; {@code patient} and {@code beneficiary} both match {@code Coverage.beneficiary}. */
  public static final class CoverageProvider extends StoreResourceProvider<Coverage> {
    public CoverageProvider(InMemoryRepository repository) {
      super(repository, Coverage.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = Coverage.SP_BENEFICIARY) ReferenceParam beneficiary,
        @OptionalParam(name = Coverage.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = Coverage.SP_STATUS) TokenAndListParam status) {
      return respond(candidates(patient, beneficiary), c ->
              (patient == null || reference(patient, c.getBeneficiary(), "Patient"))
                  && (beneficiary == null || reference(beneficiary, c.getBeneficiary(), null))
                  && all(status, t -> code(t, c.getStatusElement())),
          null, Map.of());
    }
  }

  /** CareTeam search. */
  public static final class CareTeamProvider extends StoreResourceProvider<CareTeam> {
    public CareTeamProvider(InMemoryRepository repository) {
      super(repository, CareTeam.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = CareTeam.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = CareTeam.SP_SUBJECT) ReferenceParam subject,
        @OptionalParam(name = CareTeam.SP_STATUS) TokenAndListParam status,
        @OptionalParam(name = CareTeam.SP_PARTICIPANT) ReferenceParam participant) {
      return respond(candidates(patient, subject), c ->
              (patient == null || reference(patient, c.getSubject(), "Patient"))
                  && (subject == null || reference(subject, c.getSubject(), null))
                  && (participant == null || c.getParticipant().stream().anyMatch(p -> reference(participant, p.getMember(), null)))
                  && all(status, t -> code(t, c.getStatusElement())),
          null, Map.of());
    }
  }

  /** Consent search (R4 Consent search parameters patient, status, scope): a patient's privacy directives. */
  public static final class ConsentProvider extends StoreResourceProvider<org.hl7.fhir.r4.model.Consent> {
    public ConsentProvider(InMemoryRepository repository) {
      super(repository, org.hl7.fhir.r4.model.Consent.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = org.hl7.fhir.r4.model.Consent.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = org.hl7.fhir.r4.model.Consent.SP_STATUS) TokenAndListParam status,
        @OptionalParam(name = org.hl7.fhir.r4.model.Consent.SP_SCOPE) TokenAndListParam scope) {
      return respond(candidates(patient), c ->
              (patient == null || reference(patient, c.getPatient(), "Patient"))
                  && all(status, t -> code(t, c.getStatusElement()))
                  && all(scope, t -> concept(t, c.getScope())),
          null, Map.of());
    }
  }

  /** PractitionerRole search: the roles (and so the organizations) of a practitioner. */
  public static final class PractitionerRoleProvider extends StoreResourceProvider<org.hl7.fhir.r4.model.PractitionerRole> {
    public PractitionerRoleProvider(InMemoryRepository repository) {
      super(repository, org.hl7.fhir.r4.model.PractitionerRole.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = org.hl7.fhir.r4.model.PractitionerRole.SP_PRACTITIONER) ReferenceParam practitioner,
        @OptionalParam(name = org.hl7.fhir.r4.model.PractitionerRole.SP_ORGANIZATION) ReferenceParam organization) {
      return respond(candidates(), r ->
              (practitioner == null || reference(practitioner, r.getPractitioner(), null))
                  && (organization == null || reference(organization, r.getOrganization(), null)),
          null, Map.of());
    }
  }

  /** Practitioner read/search. */
  public static final class PractitionerProvider extends StoreResourceProvider<Practitioner> {
    public PractitionerProvider(InMemoryRepository repository) {
      super(repository, Practitioner.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenAndListParam id,
        @OptionalParam(name = Practitioner.SP_IDENTIFIER) TokenAndListParam identifier,
        @OptionalParam(name = Practitioner.SP_NAME) StringAndListParam name,
        @OptionalParam(name = Practitioner.SP_FAMILY) StringAndListParam family,
        @OptionalParam(name = Practitioner.SP_GIVEN) StringAndListParam given) {
      return respond(candidates(), p ->
              all(id, (ca.uhn.fhir.rest.param.TokenParam t) -> SearchMatchers.id(t, p.getIdPart()))
                  && all(identifier, t -> SearchMatchers.identifiers(t, p.getIdentifier()))
                  && all(name, s -> SearchMatchers.humanName(s, p.getName(), false, false, true))
                  && all(family, s -> SearchMatchers.humanName(s, p.getName(), true, false, false))
                  && all(given, s -> SearchMatchers.humanName(s, p.getName(), false, true, false)),
          null, Map.of());
    }
  }

  /** Organization read/search. */
  public static final class OrganizationProvider extends StoreResourceProvider<Organization> {
    public OrganizationProvider(InMemoryRepository repository) {
      super(repository, Organization.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenAndListParam id,
        @OptionalParam(name = Organization.SP_IDENTIFIER) TokenAndListParam identifier,
        @OptionalParam(name = Organization.SP_NAME) StringAndListParam name) {
      return respond(candidates(), o ->
              all(id, (ca.uhn.fhir.rest.param.TokenParam t) -> SearchMatchers.id(t, o.getIdPart()))
                  && all(identifier, t -> SearchMatchers.identifiers(t, o.getIdentifier()))
                  && all(name, s -> SearchMatchers.string(s, o.getName())
                      || o.getAlias().stream().anyMatch(a -> SearchMatchers.string(s, a.getValue()))),
          null, Map.of());
    }
  }

  /** Location read/search. */
  public static final class LocationProvider extends StoreResourceProvider<Location> {
    public LocationProvider(InMemoryRepository repository) {
      super(repository, Location.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenAndListParam id,
        @OptionalParam(name = Location.SP_IDENTIFIER) TokenAndListParam identifier,
        @OptionalParam(name = Location.SP_NAME) StringAndListParam name) {
      return respond(candidates(), l ->
              all(id, (ca.uhn.fhir.rest.param.TokenParam t) -> SearchMatchers.id(t, l.getIdPart()))
                  && all(identifier, t -> SearchMatchers.identifiers(t, l.getIdentifier()))
                  && all(name, s -> SearchMatchers.string(s, l.getName())),
          null, Map.of());
    }
  }

  // --- scheduling and prior authorization ------------------------------------------------------------

  /** Slot search (R4 Slot search parameters); {@code start} is {@code Slot.start}. */
  public static final class SlotProvider extends StoreResourceProvider<org.hl7.fhir.r4.model.Slot> {
    public SlotProvider(InMemoryRepository repository) {
      super(repository, org.hl7.fhir.r4.model.Slot.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenAndListParam id,
        @OptionalParam(name = org.hl7.fhir.r4.model.Slot.SP_SCHEDULE) ReferenceParam schedule,
        @OptionalParam(name = org.hl7.fhir.r4.model.Slot.SP_START) DateRangeParam start,
        @OptionalParam(name = org.hl7.fhir.r4.model.Slot.SP_STATUS) TokenAndListParam status,
        @OptionalParam(name = org.hl7.fhir.r4.model.Slot.SP_SERVICE_TYPE) TokenAndListParam serviceType,
        @Sort SortSpec sort) {
      return respond(candidates(), sl ->
              all(id, (ca.uhn.fhir.rest.param.TokenParam t) -> SearchMatchers.id(t, sl.getIdPart()))
                  && (schedule == null || reference(schedule, sl.getSchedule(), "Schedule"))
                  && date(start, sl.getStartElement())
                  && all(status, t -> code(t, sl.getStatusElement()))
                  && all(serviceType, t -> concepts(t, sl.getServiceType())),
          sort, sorts(org.hl7.fhir.r4.model.Slot.SP_START, org.hl7.fhir.r4.model.Slot::getStartElement));
    }
  }

  /** Schedule search; {@code actor} matches any {@code Schedule.actor}. */
  public static final class ScheduleProvider extends StoreResourceProvider<org.hl7.fhir.r4.model.Schedule> {
    public ScheduleProvider(InMemoryRepository repository) {
      super(repository, org.hl7.fhir.r4.model.Schedule.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = "_id") TokenAndListParam id,
        @OptionalParam(name = org.hl7.fhir.r4.model.Schedule.SP_ACTOR) ReferenceParam actor,
        @OptionalParam(name = org.hl7.fhir.r4.model.Schedule.SP_ACTIVE) TokenAndListParam active) {
      return respond(candidates(), sc ->
              all(id, (ca.uhn.fhir.rest.param.TokenParam t) -> SearchMatchers.id(t, sc.getIdPart()))
                  && (actor == null || SearchMatchers.anyReference(actor, sc.getActor(), null))
                  && all(active, t -> t.getValue() != null
                      && t.getValue().equalsIgnoreCase(String.valueOf(!sc.hasActive() || sc.getActive()))),
          null, Map.of());
    }
  }

  /** ClaimResponse search; {@code request} is {@code ClaimResponse.request} (the Claim it answers). */
  public static final class ClaimResponseProvider extends StoreResourceProvider<org.hl7.fhir.r4.model.ClaimResponse> {
    public ClaimResponseProvider(InMemoryRepository repository) {
      super(repository, org.hl7.fhir.r4.model.ClaimResponse.class);
    }

    @Search
    public IBundleProvider search(
        @OptionalParam(name = org.hl7.fhir.r4.model.ClaimResponse.SP_PATIENT) ReferenceParam patient,
        @OptionalParam(name = org.hl7.fhir.r4.model.ClaimResponse.SP_REQUEST) ReferenceParam request,
        @OptionalParam(name = org.hl7.fhir.r4.model.ClaimResponse.SP_USE) TokenAndListParam use) {
      return respond(candidates(patient), c ->
              (patient == null || reference(patient, c.getPatient(), "Patient"))
                  && (request == null || reference(request, c.getRequest(), "Claim"))
                  && all(use, t -> code(t, c.getUseElement())),
          null, Map.of());
    }
  }
}
