package io.custos.incident;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.custos.audit.AuditEvent;
import io.custos.audit.AuditIds;
import io.custos.audit.ledger.KeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.TokenMap;
import io.custos.auth.Caller;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Opens, re-identifies and reads incidents. Each incident is a JSON record in an {@link IncidentStore} (one server:
 * {@code <dataDir>/incidents/<id>.json}, owner-only; a fleet: its state database, one incident per alert) and an
 * audit ledger event ({@value #OPEN_TOOL}) whose result digest is the SHA-256 of that record, so the ledger proves
 * when it was opened and what it said. Re-identifying its patients ({@value #REIDENTIFY_TOOL}) needs
 * the {@value #PRIVACY_OFFICER} role and multi-factor authentication, and is appended to the ledger before any patient
 * id is returned (fail closed). Offline (the command line) the ledger is opened for appending, so the server must be
 * stopped (it holds the lock); inside the running server the events go through its audit trail.
 */
public final class Incidents {
  /** Tool name of the ledger event that opens an incident. */
  public static final String OPEN_TOOL = "custos.incident.open";
  /** Tool name of the ledger event that re-identifies an incident's patients. */
  public static final String REIDENTIFY_TOOL = "custos.incident.reidentify";
  /** The role that may re-identify patients for breach notification. */
  public static final String PRIVACY_OFFICER = "privacy-officer";
  /** HL7 v3 PurposeOfUse of incident handling: health care operations. */
  private static final String OPERATIONS = "HOPERAT";
  /** An incident id: a UUID string. */
  private static final String INCIDENT_ID = "[0-9a-f-]{36}";

  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private final Path dataDir;
  private final KeySource keys;
  private final Clock clock;
  private final Optional<Consumer<AuditEvent>> trail;
  private final IncidentStore store;
  private final TokenMaps tokenMaps;

  /** Opens the token map that re-identification reads (the caller closes it). */
  @FunctionalInterface
  public interface TokenMaps {
    /** @throws IOException when the map or its key cannot be opened */
    TokenMap open() throws IOException;
  }

  /**
   * Who opens an incident, as its ledger event records them.
   *
   * @param subject       the person ({@code sub}, or the operator's name on the command line)
   * @param clientId      the application they act through
   * @param roles         their roles
   * @param tokenIdHash   SHA-256 of their token id, or null
   * @param sourceAddress their network address, or {@code cli}
   */
  public record Operator(String subject, String clientId, Set<String> roles, String tokenIdHash, String sourceAddress) {
    /** An operator at the command line, named {@code name}. */
    public static Operator commandLine(String name) {
      return new Operator(name, "custos-cli", Set.of("administrator"), null, "cli");
    }
  }

  /**
   * Offline use: each event is appended by opening the ledger in {@code dataDir}.
   *
   * @param dataDir the server's data directory (holding {@code ledger/}, {@code keys/} and {@code incidents/})
   */
  public Incidents(Path dataDir, KeySource keys, Clock clock) {
    this(dataDir, keys, clock, Optional.empty(), IncidentStore.files(dataDir.resolve("incidents")), localTokenMap(dataDir, keys));
  }

  /**
   * Inside the running server: events are appended through {@code trail} (the server's audit trail, which holds the
   * ledger), which must throw when the event is not durable.
   */
  public Incidents(Path dataDir, KeySource keys, Clock clock, Consumer<AuditEvent> trail) {
    this(dataDir, keys, clock, Optional.of(trail), IncidentStore.files(dataDir.resolve("incidents")), localTokenMap(dataDir, keys));
  }

  private Incidents(Path dataDir, KeySource keys, Clock clock, Optional<Consumer<AuditEvent>> trail, IncidentStore store,
      TokenMaps tokenMaps) {
    this.dataDir = dataDir;
    this.keys = keys;
    this.clock = clock;
    this.trail = trail;
    this.store = store;
    this.tokenMaps = tokenMaps;
  }

  /** The same, with records kept in {@code store} instead of {@code <dataDir>/incidents/} (a fleet's database). */
  public Incidents storedIn(IncidentStore store) {
    return new Incidents(dataDir, keys, clock, trail, store, tokenMaps);
  }

  /** The same, re-identifying through {@code tokenMaps} instead of {@code <dataDir>/ledger/} (a fleet's database). */
  public Incidents withTokenMap(TokenMaps tokenMaps) {
    return new Incidents(dataDir, keys, clock, trail, store, tokenMaps);
  }

  private static TokenMaps localTokenMap(Path dataDir, KeySource keys) {
    return () -> {
      try {
        return TokenMap.open(dataDir.resolve("ledger").resolve(TokenMap.FILE), keys.tokenMapAead());
      } catch (GeneralSecurityException e) {
        throw new IOException("token map key unusable", e);
      }
    };
  }

  /** Refused re-identification: the caller lacks the role or multi-factor authentication. */
  public static final class NotPermittedException extends Exception {
    NotPermittedException(String fixedMessage) {
      super(fixedMessage);
    }
  }

  /**
   * Opens an incident from an alert document (as in the alert log) and records it in the ledger.
   *
   * @throws IllegalArgumentException if the document lacks an alert field
   * @throws IOException              if the record or the ledger event cannot be written
   */
  public Incident open(Map<String, Object> alert, String operator, Incident.RiskAssessment assessment) throws IOException {
    return open(alert, Operator.commandLine(operator), assessment);
  }

  /**
   * Opens an incident from an alert document (as in the alert log) on behalf of {@code operator} and records it in the
   * ledger; the record is stored before the event, the event before this returns (and the record is removed again when
   * the event cannot be written). When the store keeps one incident per alert and already holds one for this alert,
   * nothing is stored or recorded and that incident is returned.
   *
   * @throws IllegalArgumentException if the document lacks an alert field
   * @throws IOException              if the record or the ledger event cannot be written
   */
  public Incident open(Map<String, Object> alert, Operator operator, Incident.RiskAssessment assessment) throws IOException {
    Instant discovered = Instant.parse(field(alert, "window_end"));
    Incident incident = new Incident(java.util.UUID.randomUUID().toString(), field(alert, "id"), field(alert, "rule"),
        field(alert, "severity"), field(alert, "user"), strings(alert.get("patients")), strings(alert.get("evidence")),
        discovered, discovered.plus(Incident.NOTIFICATION_LIMIT), clock.instant(), operator.subject(), assessment);
    byte[] record = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(incident);
    Optional<String> earlier = store.create(incident.id(), incident.alertId(), record);
    if (earlier.isPresent()) {
      return read(earlier.get());
    }
    try {
      append(new AuditEvent(AuditIds.event(), incident.id(), clock.instant(), AuditEvent.Phase.RESULT, operator.subject(),
          null, operator.clientId(), null, operator.tokenIdHash(), operator.roles(), OPEN_TOOL, null,
          incident.patientPseudonyms(), "incident-response", "success", incident.patientPseudonyms().size(), sha256(record),
          0, operator.sourceAddress(), "custos", false, null, OPERATIONS, List.of()));
    } catch (IOException | RuntimeException e) {
      // without its ledger event the record would claim the alert while never being shown
      store.remove(incident.id());
      throw e;
    }
    return incident;
  }

  /**
   * Maps the incident's pseudonyms to patient ids for notification (164.404), after recording who asked.
   *
   * @return pseudonym to patient id, in the incident's order ({@code unknown} for a pseudonym the token map lacks)
   * @throws NotPermittedException if the caller is not a privacy officer or did not use multi-factor authentication
   * @throws IOException           if the incident, the token map or the ledger cannot be read or written
   */
  public Map<String, String> reidentify(String incidentId, Caller caller) throws IOException, NotPermittedException {
    if (!caller.roles().contains(PRIVACY_OFFICER)) {
      throw new NotPermittedException("re-identification needs the " + PRIVACY_OFFICER + " role");
    }
    if (!caller.mfa()) {
      throw new NotPermittedException("re-identification needs multi-factor authentication");
    }
    Incident incident = read(incidentId);
    Map<String, String> out = new LinkedHashMap<>();
    try (TokenMap map = tokenMaps.open()) {
      for (String p : incident.patientPseudonyms()) {
        out.put(p, map.patientFor(p).orElse("unknown"));
      }
    }
    append(new AuditEvent(AuditIds.event(), incident.id(), clock.instant(), AuditEvent.Phase.RESULT, caller.subject(),
        caller.fhirUser().orElse(null), caller.clientId(), null, caller.tokenIdHash(), caller.roles(), REIDENTIFY_TOOL,
        null, incident.patientPseudonyms(), "breach-notification", "success", out.size(), null, 0, "cli", "custos", false,
        null, OPERATIONS, List.of()));
    return out;
  }

  /** @throws IOException if there is no such incident or its record is unreadable */
  public Incident read(String incidentId) throws IOException {
    if (!incidentId.matches(INCIDENT_ID)) {
      throw new IOException("not an incident id");
    }
    return JSON.readValue(store.read(incidentId).orElseThrow(() -> new IOException("no such incident")), Incident.class);
  }

  /**
   * The incident an {@value #OPEN_TOOL} ledger event opened, if its stored record is there and is exactly what the
   * event's result digest (SHA-256) covers; an edited or missing record gives empty.
   *
   * @throws IOException if the record exists but cannot be read
   */
  public Optional<Incident> opened(AuditEvent event) throws IOException {
    if (!OPEN_TOOL.equals(event.tool()) || event.callId() == null || !event.callId().matches(INCIDENT_ID)) {
      return Optional.empty();
    }
    Optional<byte[]> record = store.read(event.callId());
    return record.isPresent() && sha256(record.get()).equals(event.resultSha256())
        ? Optional.of(JSON.readValue(record.get(), Incident.class)) : Optional.empty();
  }

  private void append(AuditEvent event) throws IOException {
    if (trail.isPresent()) {
      trail.get().accept(event);
      return;
    }
    try (MerkleLedger ledger = MerkleLedger.open(dataDir.resolve("ledger"), keys)) {
      ledger.append(event);
    }
  }

  private static String field(Map<String, Object> alert, String name) {
    if (!(alert.get(name) instanceof String s)) {
      throw new IllegalArgumentException("alert has no " + name);
    }
    return s;
  }

  private static List<String> strings(Object value) {
    return value instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
