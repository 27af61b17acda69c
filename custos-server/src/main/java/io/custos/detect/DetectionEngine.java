package io.custos.detect;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditIds;
import io.custos.audit.AuditTrail;
import io.custos.audit.ledger.AuditEventCodec;
import io.custos.policy.AlertSink;
import io.custos.policy.AlertSink.Alert;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Insider-misuse detection over the audit events as they become durable (45 CFR 164.308(a)(1)(ii)(D) information
 * system activity review): evaluates the {@link Rule}s of {@code detection} in {@code custos.yaml} on one worker
 * thread, keeps per-user windows and baselines, appends each alert to the audit ledger as an {@link
 * AuditEvent.Phase#ALERT} event and then hands it to every {@link AlertSink}.
 *
 * <p>PHI: events carry only patient pseudonyms; the patient-attribute rules resolve a pseudonym to {@link PatientFacts}
 * inside the process and compare them with the {@link StaffDirectory}; alerts, log lines and the ledger event carry
 * only the rule, severity, user, pseudonyms, window, count and event ids.
 *
 * <p>Patient-attribute rules look at results that name exactly one patient (a record opened); listings of several
 * patients count towards {@link Rule#LARGE_EXTRACT}.
 */
public final class DetectionEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DetectionEngine.class);
  /** Most events waiting for evaluation; beyond it events are dropped and counted (the ledger still holds them). */
  static final int QUEUE = 200_000;
  /** Most evidence event ids and pseudonyms in one alert. */
  static final int MAX_EVIDENCE = 50;
  /**
   * Outcome codes of a call refused by access control (authorization, scope, MFA, care relationship, unknown tool). A
   * consent refusal is the patient's directive, which the user cannot see in advance, so it does not count as probing.
   */
  static final Set<String> DENIALS = Set.of("unauthenticated", "forbidden", "insufficient_scope",
      "insufficient_user_authentication", "no_care_relationship", "unknown_tool", "wrong_user", "wrong_role",
      "upstream_denied");
  static final String BREAK_GLASS_TOOL = "break_the_glass";
  /** Tool name prefix of the alert events in the ledger. */
  public static final String ALERT_TOOL_PREFIX = "detect/";

  private final DetectionConfig config;
  private final PatientFacts.Source facts;
  private final StaffDirectory staff;
  private final Set<String> vipPseudonyms;
  private final AuditTrail ledger;
  private final Clock clock;
  private final String version;
  private final List<AlertSink> sinks = new CopyOnWriteArrayList<>();
  private final LinkedBlockingQueue<AuditEvent> queue = new LinkedBlockingQueue<>(QUEUE);
  private final Map<String, UserActivity> users = new HashMap<>();
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Thread worker;
  private final LocalTime dayStart;
  private final LocalTime dayEnd;
  private volatile boolean closed;

  private DetectionEngine(Builder b) {
    this.config = b.config;
    this.facts = b.facts;
    this.staff = b.staff;
    this.vipPseudonyms = Set.copyOf(b.vipPseudonyms);
    this.ledger = b.ledger;
    this.clock = b.clock;
    this.version = b.version;
    this.sinks.addAll(b.sinks);
    LocalTime[] hours = config.hours();
    this.dayStart = hours[0];
    this.dayEnd = hours[1];
    this.worker = Thread.ofPlatform().name("custos-detect").daemon(true).unstarted(this::run);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts the worker and subscribes to {@code source}. */
  public DetectionEngine start(AuditEventSource source) {
    worker.start();
    source.start(this::submit);
    return this;
  }

  /** Adds a sink that receives every alert from now on. */
  public void subscribe(AlertSink sink) {
    sinks.add(sink);
  }

  /** Queues a durable event for evaluation; never blocks the appender. */
  public void submit(AuditEvent event) {
    if (closed) {
      return;
    }
    if (queue.offer(event)) {
      submitted.incrementAndGet();
    } else if (dropped.incrementAndGet() % 1000 == 1) {
      log.warn("detection queue full: {} events not evaluated so far", dropped.get());
    }
  }

  /** Events not evaluated because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  /**
   * Waits until every event submitted so far has been evaluated (and its alerts delivered), at most {@code timeout}.
   *
   * @return whether the engine caught up
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long target = submitted.get();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (processed.get() < target) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  private void run() {
    while (!closed) {
      try {
        AuditEvent e = queue.poll(200, TimeUnit.MILLISECONDS);
        if (e == null) {
          continue;
        }
        try {
          evaluate(e).forEach(this::emit);
        } catch (RuntimeException ex) {
          log.warn("detection: an event could not be evaluated ({})", ex.getClass().getSimpleName());
        } finally {
          processed.incrementAndGet();
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** The alerts one event raises (package-private for tests; single-threaded). */
  List<Alert> evaluate(AuditEvent e) {
    List<Alert> out = new ArrayList<>();
    if (e.phase() == AuditEvent.Phase.INTENT || e.phase() == AuditEvent.Phase.ALERT) {
      return out;
    }
    UserActivity u = users.computeIfAbsent(e.subject(), s -> new UserActivity());
    Instant at = e.timestamp();
    volume(e, u, out);
    u.countCall(at);
    // Completed: a read, a break-the-glass declaration or a step of a human-approved write (io.custos.pipeline.Completion).
    boolean success = e.phase() == AuditEvent.Phase.RESULT && e.outcome() != null && (e.outcome().equals("success")
        || e.outcome().equals("break_the_glass_declared") || e.outcome().startsWith("write_"));
    if (!success && DENIALS.contains(e.outcome())) {
      counting(Rule.REPEATED_DENIALS, e, u, new UserActivity.Mark(at, e.eventId(), first(e), 1), false, out);
    }
    if (!success) {
      return out;
    }
    if (BREAK_GLASS_TOOL.equals(e.tool())) {
      counting(Rule.BREAK_GLASS_FREQUENCY, e, u, new UserActivity.Mark(at, e.eventId(), first(e), 1), false, out);
    }
    if (e.recordCount() > 0) {
      counting(Rule.LARGE_EXTRACT, e, u, new UserActivity.Mark(at, e.eventId(), null, e.recordCount()), true, out);
    }
    if (e.patientRefs().size() != 1) {
      return out;
    }
    String patient = e.patientRefs().get(0);
    counting(Rule.MANY_PATIENTS, e, u, new UserActivity.Mark(at, e.eventId(), patient, 1), false, out);
    if (applies(Rule.AFTER_HOURS, e) && afterHours(at) && !u.suppressed(Rule.AFTER_HOURS.id(), at, config.window(Rule.AFTER_HOURS))) {
      out.add(single(Rule.AFTER_HOURS, e, List.of(patient)));
    }
    patientRules(e, u, patient, out);
    return out;
  }

  /** The rules that compare the opened patient with the VIP list, the staff directory and the patient's visits. */
  private void patientRules(AuditEvent e, UserActivity u, String patient, List<Alert> out) {
    Optional<PatientFacts> found = facts.facts(patient);
    if (vipPseudonyms.contains(patient) || found.map(f -> f.securityLabels().stream()
        .anyMatch(config.vipSecurityLabels()::contains)).orElse(false)) {
      perPatient(Rule.VIP_RECORD, e, u, patient, out);
    }
    if (found.isEmpty()) {
      return;
    }
    PatientFacts p = found.get();
    if (p.deceased()) {
      perPatient(Rule.DECEASED_PATIENT, e, u, patient, out);
    }
    Instant at = e.timestamp();
    Optional<StaffDirectory.Member> me = staff.user(e.subject(), e.fhirUser());
    boolean own = me.map(m -> m.isPerson(p)).orElse(false);
    if (own) {
      perPatient(Rule.OWN_RECORD, e, u, patient, out);
    } else if (me.isPresent()) {
      StaffDirectory.Member m = me.get();
      if (!m.family().isEmpty() && m.family().equals(p.family())) {
        perPatient(Rule.SAME_SURNAME, e, u, patient, out);
      }
      if (!m.address().isEmpty() && m.address().equals(p.address())) {
        perPatient(Rule.SAME_ADDRESS, e, u, patient, out);
      }
      if (staff.colleague(p, m).isPresent()) {
        perPatient(Rule.COWORKER_RECORD, e, u, patient, out);
      }
    }
    // The most specific finding only: a deceased patient has no visits, and a declared emergency (break-the-glass, alerted
    // and reviewed on its own) is by definition outside the usual patients.
    if (p.deceased() || e.breakGlass() || BREAK_GLASS_TOOL.equals(e.tool())) {
      return;
    }
    Optional<Instant> last = p.lastVisit();
    Instant recent = at.minus(Duration.ofDays(config.threshold(Rule.NO_RECENT_VISIT)));
    if (last.isEmpty() || last.get().isBefore(recent)) {
      perPatient(Rule.NO_RECENT_VISIT, e, u, patient, out);
    } else if (me.isPresent() && !me.get().department().isEmpty()) {
      Instant since = at.minus(Duration.ofDays(config.threshold(Rule.OUTSIDE_DEPARTMENT)));
      Instant atDept = p.lastVisitByOrganization().get(me.get().department());
      if (atDept == null || atDept.isBefore(since)) {
        perPatient(Rule.OUTSIDE_DEPARTMENT, e, u, patient, out);
      }
    }
  }

  private void volume(AuditEvent e, UserActivity u, List<Alert> out) {
    Rule r = Rule.VOLUME_ABOVE_BASELINE;
    Deque<UserActivity.Mark> w = u.add(r, new UserActivity.Mark(e.timestamp(), e.eventId(), first(e), 1), config.window(r));
    // At least two finished active hours before a baseline counts as the user's own.
    if (!applies(r, e) || u.baselineHours() < 2) {
      return;
    }
    double limit = Math.max(config.threshold(r), config.factor(r) * u.baseline());
    if (w.size() > limit && !u.suppressed(r.id(), e.timestamp(), config.window(r))) {
      out.add(windowed(r, e, w));
    }
  }

  private void counting(Rule r, AuditEvent e, UserActivity u, UserActivity.Mark mark, boolean weighted, List<Alert> out) {
    Deque<UserActivity.Mark> w = u.add(r, mark, config.window(r));
    if (!applies(r, e)) {
      return;
    }
    long n = r == Rule.MANY_PATIENTS ? UserActivity.patients(w).size() : weighted ? UserActivity.weight(w) : w.size();
    if (n >= config.threshold(r) && !u.suppressed(r.id(), e.timestamp(), config.window(r))) {
      out.add(windowed(r, e, w));
    }
  }

  private void perPatient(Rule r, AuditEvent e, UserActivity u, String patient, List<Alert> out) {
    if (applies(r, e) && !u.suppressed(r.id() + "|" + patient, e.timestamp(), config.window(r))) {
      out.add(single(r, e, List.of(patient)));
    }
  }

  /** On, and the user has at least one role the rule does not exempt (no roles: checked). */
  private boolean applies(Rule r, AuditEvent e) {
    Set<String> exempt = config.exemptRoles(r);
    return config.ruleOn(r) && (e.roles().isEmpty() || !exempt.containsAll(e.roles()));
  }

  private boolean afterHours(Instant at) {
    ZonedDateTime t = at.atZone(config.zoneId());
    LocalTime time = t.toLocalTime();
    boolean inHours = !time.isBefore(dayStart) && (dayEnd.equals(LocalTime.MAX) || time.isBefore(dayEnd));
    return !config.days().contains(t.getDayOfWeek()) || !inHours;
  }

  private Alert single(Rule r, AuditEvent e, List<String> patients) {
    return new Alert(UUID.randomUUID().toString(), r.id(), config.severity(r), e.subject(), patients, e.timestamp(),
        e.timestamp(), 1, List.of(e.eventId()), e.callId());
  }

  private Alert windowed(Rule r, AuditEvent e, Deque<UserActivity.Mark> w) {
    long count = r == Rule.LARGE_EXTRACT ? UserActivity.weight(w) : w.size();
    List<String> patients = List.copyOf(UserActivity.patients(w)).stream().limit(MAX_EVIDENCE).toList();
    return new Alert(UUID.randomUUID().toString(), r.id(), config.severity(r), e.subject(), patients, w.peekFirst().at(),
        e.timestamp(), count, UserActivity.evidence(w, MAX_EVIDENCE), e.callId());
  }

  private static String first(AuditEvent e) {
    return e.patientRefs().isEmpty() ? null : e.patientRefs().get(0);
  }

  /** Appends the alert to the ledger (an ALERT event), then delivers it to every sink; a failing sink does not stop the rest. */
  private void emit(Alert a) {
    try {
      ledger.append(ledgerEvent(a));
    } catch (RuntimeException ex) {
      log.warn("detection: alert {} not recorded in the audit ledger ({})", a.id(), ex.getClass().getSimpleName());
    }
    for (AlertSink s : sinks) {
      try {
        s.alert(a);
      } catch (RuntimeException ex) {
        log.warn("detection: alert sink {} failed ({})", s.getClass().getSimpleName(), ex.getClass().getSimpleName());
      }
    }
  }

  /**
   * The alert as a PHI-free ledger event: subject the user it is about, tool {@code detect/<rule>}, outcome its
   * severity, patients its pseudonyms, record count its count, session id the alert id, call id the triggering call,
   * result digest the SHA-256 of {@link Alert#document()} as JSON (binding the ledger to what the sinks received).
   */
  AuditEvent ledgerEvent(Alert a) {
    String digest;
    try {
      digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(AuditEventCodec.mapper().writeValueAsBytes(a.document())));
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException ex) {
      throw new IllegalStateException("alert digest unavailable", ex);
    }
    return new AuditEvent(AuditIds.event(), a.callId(), clock.instant(), AuditEvent.Phase.ALERT, a.subject(), null, null,
        a.id(), null, Set.of(), ALERT_TOOL_PREFIX + a.rule(), null, a.patientPseudonyms(), null,
        a.severity().name().toLowerCase(java.util.Locale.ROOT), (int) Math.min(Integer.MAX_VALUE, a.count()), digest,
        0, "custos-detect", version, false, null, "HOPERAT", List.of());
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
  }

  /** Builder; config, ledger and clock are required. */
  public static final class Builder {
    private DetectionConfig config;
    private PatientFacts.Source facts = p -> Optional.empty();
    private StaffDirectory staff = StaffDirectory.empty();
    private Set<String> vipPseudonyms = Set.of();
    private AuditTrail ledger;
    private Clock clock = Clock.systemUTC();
    private String version = "";
    private final List<AlertSink> sinks = new ArrayList<>();

    public Builder config(DetectionConfig v) {
      config = v;
      return this;
    }

    /** Pseudonym to patient facts (default: none known). */
    public Builder facts(PatientFacts.Source v) {
      facts = v;
      return this;
    }

    public Builder staff(StaffDirectory v) {
      staff = v;
      return this;
    }

    /** Pseudonyms of the configured VIP patients. */
    public Builder vipPseudonyms(Set<String> v) {
      vipPseudonyms = v;
      return this;
    }

    /** Where ALERT events are appended (the ledger itself, not the tap that feeds the engine). */
    public Builder ledger(AuditTrail v, String serverVersion) {
      ledger = v;
      version = serverVersion;
      return this;
    }

    public Builder clock(Clock v) {
      clock = v;
      return this;
    }

    public Builder sink(AlertSink v) {
      sinks.add(v);
      return this;
    }

    public DetectionEngine build() {
      java.util.Objects.requireNonNull(config, "config");
      java.util.Objects.requireNonNull(ledger, "ledger");
      return new DetectionEngine(this);
    }
  }
}
