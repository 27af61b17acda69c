package io.custos.fhir.store;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Thread-safe in-memory store of FHIR R4 resources keyed by {@code (resourceType, logical id)}.
 *
 * <p>Besides the primary key the repository keeps two secondary indexes that the search providers use:
 * <ul>
 *   <li>a <b>patient index</b>: for every resource, the ids of the patients it belongs to (the resource itself for a
 *       Patient; otherwise the Patient targets of its {@code subject}, {@code patient} and {@code beneficiary}
 *       elements, and of {@code Appointment.participant.actor}). This approximates the Patient compartment
 *       (FHIR R4 &sect;3.3.1 Compartments, "Patient" compartment definition);</li>
 *   <li>an <b>identifier index</b>: {@code (type, system|value) -> id}, used to resolve conditional references
 *       (FHIR R4 &sect;3.1.0.4.3 / &sect;3.2.0.8 conditional references in transactions).</li>
 * </ul>
 *
 * <p>Iteration order is insertion order, so search results are deterministic. Resources are stored as given; callers
 * that hand them out to other threads should {@link org.hl7.fhir.r4.model.Resource#copy() copy} them (the search providers do). Adding
 * create/update later only needs {@link #put} (it replaces an existing resource and re-indexes it) and
 * {@link #remove}.
 *
 * <p>Errors: {@link #put} throws {@link IllegalArgumentException} when the resource has no logical id.
 */
public final class InMemoryRepository {

  private static final String[] PATIENT_LINK_ELEMENTS = {"subject", "patient", "beneficiary"};

  private final FhirContext fhirContext;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  /** type -> id -> resource (insertion ordered). */
  private final Map<String, LinkedHashMap<String, IBaseResource>> byType = new TreeMap<>();
  /** type -> patientId -> ids (insertion ordered). */
  private final Map<String, Map<String, LinkedHashSet<String>>> byPatient = new HashMap<>();
  /** type -> "system|value" -> id. */
  private final Map<String, Map<String, String>> byIdentifier = new HashMap<>();

  /**
   * @param fhirContext the R4 context used to introspect resources for the patient index; not null
   */
  public InMemoryRepository(FhirContext fhirContext) {
    this.fhirContext = Objects.requireNonNull(fhirContext, "fhirContext");
  }

  /** @return the FHIR context this repository introspects resources with */
  public FhirContext fhirContext() {
    return fhirContext;
  }

  /**
   * Stores (or replaces) a resource under its type and logical id and (re)indexes it.
   *
   * @param resource a resource whose id element has a logical id part
   * @throws IllegalArgumentException if the resource has no id
   */
  public void put(IBaseResource resource) {
    Objects.requireNonNull(resource, "resource");
    String type = fhirContext.getResourceType(resource);
    String id = resource.getIdElement().getIdPart();
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("resource of type " + type + " has no logical id");
    }
    lock.writeLock().lock();
    try {
      LinkedHashMap<String, IBaseResource> resources = byType.computeIfAbsent(type, t -> new LinkedHashMap<>());
      IBaseResource previous = resources.put(id, resource);
      if (previous != null) {
        unindex(type, id, previous);
      }
      index(type, id, resource);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Conditional create (FHIR R4 3.1.0.8, {@code If-None-Exist: identifier=system|value}) as one atomic step:
   * if a resource of the same type already carries the identifier, nothing is stored.
   *
   * @return the id of the existing resource, or empty when {@code resource} was stored
   */
  public Optional<String> putIfIdentifierAbsent(IBaseResource resource, String system, String value) {
    lock.writeLock().lock();
    try {
      String type = fhirContext.getResourceType(resource);
      Map<String, String> ids = byIdentifier.get(type);
      String existing = ids == null ? null : ids.get(identifierKey(system, value));
      if (existing != null) {
        return Optional.of(existing);
      }
      put(resource); // re-entrant write lock
      return Optional.empty();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Version-aware replace (FHIR R4 3.1.0.5.4 {@code If-Match}) as one atomic step.
   *
   * @param expectedVersion the {@code meta.versionId} the caller last read, or null for an unconditional update
   * @return the stored resource's current version when it differs from {@code expectedVersion} (nothing stored), or
   *         empty when {@code resource} was stored
   */
  public Optional<String> replaceIfVersion(IBaseResource resource, String expectedVersion) {
    lock.writeLock().lock();
    try {
      String type = fhirContext.getResourceType(resource);
      String current = get(type, resource.getIdElement().getIdPart())
          .map(r -> r.getMeta().getVersionId() == null ? "1" : r.getMeta().getVersionId()).orElse(null);
      if (expectedVersion != null && !expectedVersion.equals(current)) {
        return Optional.of(current == null ? "none" : current);
      }
      put(resource);
      return Optional.empty();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Removes a resource.
   *
   * @return true if a resource was removed
   */
  public boolean remove(String type, String id) {
    lock.writeLock().lock();
    try {
      Map<String, IBaseResource> resources = byType.get(type);
      IBaseResource previous = resources == null ? null : resources.remove(id);
      if (previous != null) {
        unindex(type, id, previous);
      }
      return previous != null;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** @return the stored resource (not a copy), or empty */
  public Optional<IBaseResource> get(String type, String id) {
    lock.readLock().lock();
    try {
      Map<String, IBaseResource> resources = byType.get(type);
      return Optional.ofNullable(resources == null ? null : resources.get(id));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** @return a snapshot list of all resources of a type, in insertion order (possibly empty) */
  public List<IBaseResource> all(String type) {
    lock.readLock().lock();
    try {
      Map<String, IBaseResource> resources = byType.get(type);
      return resources == null ? List.of() : new ArrayList<>(resources.values());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * @param type resource type, e.g. {@code Observation}
   * @param patientId logical id of a Patient
   * @return a snapshot of the resources of that type linked to that patient (see class doc), insertion order
   */
  public List<IBaseResource> forPatient(String type, String patientId) {
    lock.readLock().lock();
    try {
      Map<String, LinkedHashSet<String>> patients = byPatient.get(type);
      Set<String> ids = patients == null ? null : patients.get(patientId);
      if (ids == null) {
        return List.of();
      }
      Map<String, IBaseResource> resources = byType.get(type);
      List<IBaseResource> out = new ArrayList<>(ids.size());
      for (String id : ids) {
        out.add(resources.get(id));
      }
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** @return ids of all patients that have at least one resource of {@code type} linked to them */
  public Set<String> patientIdsWith(String type) {
    lock.readLock().lock();
    try {
      Map<String, LinkedHashSet<String>> patients = byPatient.get(type);
      return patients == null ? Set.of() : new LinkedHashSet<>(patients.keySet());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Finds a resource by business identifier.
   *
   * @return the logical id of the resource of {@code type} carrying identifier {@code system|value}, or empty
   */
  public Optional<String> idByIdentifier(String type, String system, String value) {
    lock.readLock().lock();
    try {
      Map<String, String> ids = byIdentifier.get(type);
      return Optional.ofNullable(ids == null ? null : ids.get(identifierKey(system, value)));
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Finds resources of any type by business identifier.
   *
   * @return {@code Type/id} of every stored resource carrying identifier {@code system|value} (sorted by type)
   */
  public List<String> referencesByIdentifier(String system, String value) {
    String key = identifierKey(system, value);
    lock.readLock().lock();
    try {
      List<String> out = new ArrayList<>();
      for (String type : byType.keySet()) {
        Map<String, String> ids = byIdentifier.get(type);
        String id = ids == null ? null : ids.get(key);
        if (id != null) {
          out.add(type + "/" + id);
        }
      }
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** @return the resource types currently stored, sorted */
  public Set<String> types() {
    lock.readLock().lock();
    try {
      return Collections.unmodifiableSet(new LinkedHashSet<>(byType.keySet()));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** @return number of stored resources of {@code type} */
  public int count(String type) {
    lock.readLock().lock();
    try {
      Map<String, IBaseResource> resources = byType.get(type);
      return resources == null ? 0 : resources.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** @return resource counts per type (sorted by type); contains no identifiers, safe to log */
  public Map<String, Integer> countsByType() {
    lock.readLock().lock();
    try {
      Map<String, Integer> out = new TreeMap<>();
      byType.forEach((type, resources) -> out.put(type, resources.size()));
      return out;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** @return total number of stored resources */
  public int size() {
    lock.readLock().lock();
    try {
      return byType.values().stream().mapToInt(Map::size).sum();
    } finally {
      lock.readLock().unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  static String identifierKey(String system, String value) {
    return (system == null ? "" : system) + "|" + value;
  }

  private void index(String type, String id, IBaseResource resource) {
    for (String patientId : patientIdsOf(type, resource)) {
      byPatient.computeIfAbsent(type, t -> new HashMap<>())
          .computeIfAbsent(patientId, p -> new LinkedHashSet<>())
          .add(id);
    }
    for (Identifier identifier : identifiersOf(resource)) {
      byIdentifier.computeIfAbsent(type, t -> new HashMap<>())
          .putIfAbsent(identifierKey(identifier.getSystem(), identifier.getValue()), id);
    }
  }

  private void unindex(String type, String id, IBaseResource resource) {
    Map<String, LinkedHashSet<String>> patients = byPatient.get(type);
    if (patients != null) {
      for (String patientId : patientIdsOf(type, resource)) {
        Set<String> ids = patients.get(patientId);
        if (ids != null) {
          ids.remove(id);
          if (ids.isEmpty()) {
            patients.remove(patientId);
          }
        }
      }
    }
    Map<String, String> identifiers = byIdentifier.get(type);
    if (identifiers != null) {
      for (Identifier identifier : identifiersOf(resource)) {
        identifiers.remove(identifierKey(identifier.getSystem(), identifier.getValue()), id);
      }
    }
  }

  private List<Identifier> identifiersOf(IBaseResource resource) {
    BaseRuntimeChildDefinition child = fhirContext.getResourceDefinition(resource).getChildByName("identifier");
    if (child == null) {
      return List.of();
    }
    List<Identifier> out = new ArrayList<>();
    for (Object value : child.getAccessor().getValues(resource)) {
      if (value instanceof Identifier identifier && identifier.hasValue()) {
        out.add(identifier);
      }
    }
    return out;
  }

  /** Patient ids this resource belongs to (see class doc). */
  Set<String> patientIdsOf(String type, IBaseResource resource) {
    Set<String> out = new LinkedHashSet<>();
    if ("Patient".equals(type)) {
      out.add(resource.getIdElement().getIdPart());
      return out;
    }
    RuntimeResourceDefinition def = fhirContext.getResourceDefinition(resource);
    for (String element : PATIENT_LINK_ELEMENTS) {
      BaseRuntimeChildDefinition child = def.getChildByName(element);
      if (child == null) {
        continue;
      }
      for (Object value : child.getAccessor().getValues(resource)) {
        if (value instanceof Reference ref) {
          addPatient(out, ref);
        }
      }
    }
    if (resource instanceof Appointment appointment) {
      for (Appointment.AppointmentParticipantComponent p : appointment.getParticipant()) {
        addPatient(out, p.getActor());
      }
    }
    return out;
  }

  private static void addPatient(Set<String> out, Reference ref) {
    if (ref == null || !ref.hasReference()) {
      return;
    }
    var id = ref.getReferenceElement();
    if ("Patient".equals(id.getResourceType()) && id.getIdPart() != null) {
      out.add(id.getIdPart());
    }
  }
}
