package io.custos.detect;

import ca.uhn.fhir.context.FhirContext;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.fhir.store.PopulationReplicator;
import io.custos.phi.SyntheaFixture;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolOutcome;
import io.custos.policy.AlertSink.Alert;
import io.custos.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Organization;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * A working day of a clinic's workforce (clinicians, nurses, front desk, billing) over a Synthea population, driven
 * through the real server ({@link ServerAssembly}: governance pipeline, Merkle ledger, embedded FHIR upstream,
 * detection engine) on a simulated clock, with labelled insider scenarios injected. Every tool call enters
 * {@link GovernancePipeline#handle} with an authenticated caller, as the HTTP and stdio fronts do after token
 * validation.
 *
 * <p>The population: the fixture's Synthea patients replicated ({@link PopulationReplicator}); each living patient is
 * registered at one of four clinic departments (new Organizations) and has a recent visit there, except one in ten
 * "dormant" patients whose encounters lie three years back; six are VIPs (three listed by id, three labelled
 * {@code R}). Normal traffic opens only patients of the user's own department who are not VIPs, not deceased, not
 * dormant (front desk excepted), not staff and not related to the user; everything else is an injected scenario.
 */
final class WorkloadSimulator implements AutoCloseable {
  /** Monday 2026-01-05, just after the fixture's simulation end; zone UTC. */
  static final LocalDate DAY = LocalDate.parse("2026-01-05");
  static final Instant MIDNIGHT = DAY.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
  static final int DEPARTMENTS = 4;

  /** Sizes of one run. */
  record Options(int patients, int clinicians, int nurses, int frontDesk, int billing, int instances, long seed) {
    static Options small() {
      return new Options(240, 10, 8, 3, 2, 5, 42);
    }

    static Options fullDay() {
      return new Options(1500, 100, 75, 20, 15, 8, 7);
    }
  }

  record Staff(String subject, String role, String family, String given, String birthDate, String line, String postal,
      int dept) {
    String csv() {
      return String.join(",", subject, "Practitioner/" + subject, family, given, birthDate, line, postal, "sim-dept-" + dept);
    }

    Staff as(String f, String g, String b, String l, String p) {
      return new Staff(subject, role, f, g, b, l, p, dept);
    }
  }

  /** A simulated patient: its raw record, facts, department and status. */
  record Pt(String id, Patient resource, PatientFacts facts, int dept, boolean dormant, boolean deceased) {}

  /** An injected scenario instance; its window is filled in as its calls run. */
  static final class Label {
    final Rule rule;
    final String user;
    final Optional<String> pseudonym;
    Instant from;
    Instant to;

    Label(Rule rule, String user, Optional<String> pseudonym) {
      this.rule = rule;
      this.user = user;
      this.pseudonym = pseudonym;
    }

    void saw(Instant at) {
      from = from == null || at.isBefore(from) ? at : from;
      to = to == null || at.isAfter(to) ? at : to;
    }
  }

  /** One call (or, when {@code pageAll}, every page of it) at a simulated time. */
  record Activity(Instant at, Staff user, String tool, Map<String, Object> args, Label label, boolean pageAll) {}

  /** An alert as received, with the wall-clock latency from the start of the call that triggered it. */
  record Received(Alert alert, long latencyMillis) {}

  /** What a run produced. */
  record Run(List<Label> labels, List<Received> alerts, long normalCalls, long injectedCalls, long normalErrors,
      Map<String, Integer> refusals, List<Staff> staff, List<Pt> patients, Duration wall) {}

  private final Options options;
  private final Random random;
  private final Path dir;
  private final InMemoryRepository repo = new InMemoryRepository(FhirContext.forR4Cached());
  private final List<Pt> patients = new ArrayList<>();
  private final List<Staff> staff = new ArrayList<>();
  private final List<Label> labels = new ArrayList<>();
  private final List<Activity> activities = new ArrayList<>();
  /** The six VIPs: the first three configured by id, the last three labelled {@code R}. */
  private final Set<String> vipIds = new java.util.LinkedHashSet<>();
  private final Set<String> staffPatients = new HashSet<>();
  private final Map<String, Set<String>> excluded = new HashMap<>();
  private final ManualClock clock = new ManualClock(MIDNIGHT);
  private final PatientPseudonyms pseudonyms;
  private EmbeddedFhirStore store;
  private ServerAssembly assembly;

  WorkloadSimulator(Options options, Path dir) throws IOException {
    this.options = options;
    this.random = new Random(options.seed());
    this.dir = dir;
    byte[] key = new byte[32];
    random.nextBytes(key);
    Path keyFile = dir.resolve("data/keys/pseudonym.key");
    Files.createDirectories(keyFile.getParent());
    Files.write(keyFile, key);
    this.pseudonyms = new PatientPseudonyms(key);
  }

  /** Builds population, staff and the day's plan, starts the server and runs the day. */
  Run run() throws Exception {
    new PopulationReplicator(repo.fhirContext()).load(repo, SyntheaFixture.directory(), options.patients(), Set.of());
    // Started before the plan: the store's enrichment adds Coverage, Appointments and Consents the plan looks at.
    store = EmbeddedFhirStore.builder().repository(repo).referenceInstant(SyntheaFixture.REFERENCE).port(0).build().start();
    population();
    workforce();
    inject();
    normalDay();
    Path csv = dir.resolve("staff.csv");
    List<String> rows = new ArrayList<>(List.of("subject,practitioner,family,given,birth_date,address,postal_code,department"));
    staff.forEach(s -> rows.add(s.csv()));
    Files.write(csv, rows);
    List<String> vipList = List.copyOf(vipIds).subList(0, 3);
    CustosConfig config = new CustosConfig(new CustosConfig.Server("127.0.0.1", 0, "plain", List.of(), List.of(), null),
        new CustosConfig.Upstream(store.baseUrl(), 30), new CustosConfig.Identity("development"),
        new CustosConfig.Policy(null, false, null, null, 100_000), null, dir.resolve("data").toString(),
        new DetectionConfig(true, "UTC", "07:00-19:00", null, new DetectionConfig.StaffDirectorySource(csv.toString(), null),
            new DetectionConfig.VipPatients(vipList, List.of("R", "V")), Map.of())).withDefaults().validated();
    assembly = new ServerAssembly(config, GovernancePipeline.Observer.NONE, clock);
    DetectionEngine engine = assembly.detection().orElseThrow();
    Map<Instant, Long> started = new ConcurrentHashMap<>();
    List<Received> received = Collections.synchronizedList(new ArrayList<>());
    engine.subscribe(a -> received.add(new Received(a,
        (System.nanoTime() - started.getOrDefault(a.windowEnd(), System.nanoTime())) / 1_000_000)));
    long wall0 = System.nanoTime();
    activities.sort(Comparator.comparing(Activity::at));
    long normal = 0;
    long injected = 0;
    long normalErrors = 0;
    Map<String, Integer> refusals = new java.util.TreeMap<>();
    Instant last = MIDNIGHT;
    for (Activity a : activities) {
      Instant at = a.at().isAfter(last) ? a.at() : last.plusMillis(1);
      Map<String, Object> args = new LinkedHashMap<>(a.args());
      do {
        clock.set(at);
        last = at;
        started.put(at, System.nanoTime());
        ToolOutcome out = assembly.pipeline().handle(new ToolCall(a.tool(), args, Optional.of(caller(a.user(), at)),
            "sim-" + a.user().subject(), "10.0.0.1"));
        if (out.isError()) {
          refusals.merge((a.label() == null ? "normal " : "injected " + a.label().rule.id() + " ") + out.error().code(), 1,
              Integer::sum);
        }
        if (a.label() != null) {
          a.label().saw(at);
          injected++;
        } else {
          normal++;
          normalErrors += out.isError() ? 1 : 0;
        }
        Object next = out.isError() ? null : out.structured().get("next_cursor");
        if (!a.pageAll() || !(next instanceof String cursor)) {
          break;
        }
        args.put("cursor", cursor);
        at = at.plusSeconds(5);
      } while (true);
    }
    if (!engine.awaitIdle(Duration.ofMinutes(2))) {
      throw new IllegalStateException("detection engine did not catch up");
    }
    return new Run(labels, List.copyOf(received), normal, injected, normalErrors, refusals, staff, patients,
        Duration.ofNanos(System.nanoTime() - wall0));
  }

  private static Caller caller(Staff s, Instant now) {
    return new Caller(s.subject(), "sim-client", Optional.of("Practitioner/" + s.subject()), Set.of(s.role()),
        Set.of("user/*.rs"), Optional.empty(), true, "tokhash-" + s.subject(), now.plus(Duration.ofDays(2)), Optional.of(now));
  }

  // ---- population -------------------------------------------------------------------------------------------------

  private void population() {
    for (int d = 0; d < DEPARTMENTS; d++) {
      Organization org = new Organization().setName("Simulated clinic " + d);
      org.setId("sim-dept-" + d);
      repo.put(org);
    }
    List<Patient> all = repo.all("Patient").stream().map(Patient.class::cast)
        .sorted(Comparator.comparing(p -> p.getIdElement().getIdPart())).toList();
    int n = 0;
    for (Patient p : all) {
      String id = p.getIdElement().getIdPart();
      boolean deceased = p.hasDeceased();
      boolean dormant = !deceased && random.nextInt(10) == 0;
      int dept = n++ % DEPARTMENTS;
      if (dormant) {
        for (var r : repo.forPatient("Encounter", id)) {
          Encounter e = (Encounter) r;
          e.setPeriod(new Period().setStart(java.util.Date.from(e.getPeriod().getStart().toInstant().minus(Duration.ofDays(1100))))
              .setEnd(e.getPeriod().hasEnd() ? java.util.Date.from(e.getPeriod().getEnd().toInstant().minus(Duration.ofDays(1100))) : null));
          repo.put(e);
        }
      } else if (!deceased) {
        Encounter visit = new Encounter().setStatus(Encounter.EncounterStatus.FINISHED)
            .setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"))
            .setSubject(new Reference("Patient/" + id)).setServiceProvider(new Reference("Organization/sim-dept-" + dept))
            .setPeriod(new Period().setStart(java.util.Date.from(MIDNIGHT.minus(Duration.ofDays(1 + random.nextInt(90)))
                .plus(Duration.ofHours(10)))));
        visit.setId("sim-visit-" + n);
        repo.put(visit);
      }
      patients.add(new Pt(id, p, facts(p), dept, dormant, deceased));
    }
    List<Pt> candidates = new ArrayList<>(patients.stream().filter(this::active).toList());
    Collections.shuffle(candidates, random);
    candidates.removeIf(p -> !target(p));
    for (int i = 0; i < 6; i++) {
      Pt v = candidates.get(i);
      vipIds.add(v.id());
      if (i >= 3) {
        v.resource().getMeta().addSecurity(new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", "restricted"));
        repo.put(v.resource());
      }
    }
  }

  private PatientFacts facts(Patient p) {
    List<Resource> encounters = repo.forPatient("Encounter", p.getIdElement().getIdPart()).stream().map(Resource.class::cast).toList();
    return FhirPatientFacts.of(p, encounters);
  }

  private boolean active(Pt p) {
    return !p.deceased() && !p.dormant();
  }

  /** A patient an injected scenario opens: no Consent of theirs refuses the call, so the access happens. */
  private boolean target(Pt p) {
    return repo.forPatient("Consent", p.id()).isEmpty();
  }

  private boolean ordinary(Pt p) {
    return active(p) && !vipIds.contains(p.id()) && !staffPatients.contains(p.id());
  }

  private static final List<String> SURNAMES = List.of("Okafor", "Lindqvist", "Moreau", "Takahashi", "Novak", "Haddad",
      "Fitzgerald", "Castellano", "Mbeki", "Johansson", "Kowalski", "Nakamura", "Petrov", "Oyelaran", "Quintero", "Rasmussen",
      "Szabo", "Tremblay", "Varga", "Whitfield", "Yilmaz", "Zielinski", "Abernathy", "Brennan", "Delacroix", "Esposito");
  private static final List<String> GIVEN = List.of("Ana", "Ben", "Chloe", "Dev", "Ema", "Finn", "Gita", "Hugo", "Ines",
      "Jon", "Kira", "Leo", "Maya", "Nils", "Omar", "Pia", "Raj", "Sara", "Tom", "Uma");

  private void workforce() {
    int k = 0;
    for (var role : List.of(Map.entry("clinician", options.clinicians()), Map.entry("nurse", options.nurses()),
        Map.entry("front-desk", options.frontDesk()), Map.entry("billing", options.billing()))) {
      for (int i = 0; i < role.getValue(); i++, k++) {
        staff.add(new Staff(role.getKey() + "-" + i, role.getKey(), SURNAMES.get(k % SURNAMES.size()) + (k / SURNAMES.size() == 0 ? "" : "ova"),
            GIVEN.get(random.nextInt(GIVEN.size())), LocalDate.of(1960 + random.nextInt(35), 1 + random.nextInt(12),
                1 + random.nextInt(28)).toString(), (10 + k) + " Staff Lane", "99" + (100 + k), i % DEPARTMENTS));
      }
    }
  }

  /** The user's normal patients: own department, ordinary, not related to the user. */
  private List<Pt> pool(Staff s, boolean withDormant) {
    Set<String> ex = excluded.getOrDefault(s.subject(), Set.of());
    return patients.stream().filter(p -> p.dept() == s.dept() && !ex.contains(p.id())
        && (ordinary(p) || withDormant && p.dormant() && !vipIds.contains(p.id())) && !related(s, p)).toList();
  }

  /** Same family name or same address as the user's directory entry. */
  private static boolean related(Staff s, Pt p) {
    return p.facts().family().equals(PatientFacts.norm(s.family()))
        || p.facts().address().equals(PatientFacts.addressKey(s.line(), s.postal()));
  }

  // ---- injected scenarios -----------------------------------------------------------------------------------------

  private Instant during(int fromHour, int toHour) {
    return MIDNIGHT.plusSeconds(fromHour * 3600L + random.nextInt((toHour - fromHour) * 3600));
  }

  private Label label(Rule rule, Staff user, Pt patient) {
    Label l = new Label(rule, user.subject(), Optional.ofNullable(patient).map(p -> pseudonyms.tokenize(p.id())));
    labels.add(l);
    return l;
  }

  private void open(Label l, Staff user, Instant at, Pt p, String... tools) {
    for (int i = 0; i < tools.length; i++) {
      activities.add(new Activity(at.plusSeconds(40L * i), user, tools[i], Map.of("patient_id", p.id()), l, false));
    }
  }

  /** Users who already acted in an instance of each rule: each instance of a rule has its own user. */
  private final Map<Rule, Set<String>> insiders = new java.util.EnumMap<>(Rule.class);

  private Staff pick(Rule rule, List<Staff> from, Predicate<Staff> ok) {
    Set<String> used = insiders.computeIfAbsent(rule, r -> new HashSet<>());
    List<Staff> c = new ArrayList<>(from.stream().filter(s -> ok.test(s) && !used.contains(s.subject())).toList());
    if (c.isEmpty()) {
      throw new IllegalStateException("not enough staff for the " + rule.id() + " instances");
    }
    Staff s = c.get(random.nextInt(c.size()));
    used.add(s.subject());
    return s;
  }

  /**
   * Whether the user is already the insider of the volume scenario: a user who also pages through everything or opens
   * many patients the same day would lift their own volume, and the engine rightly reports that episode once.
   */
  private boolean volumeInsider(Staff s) {
    return insiders.getOrDefault(Rule.VOLUME_ABOVE_BASELINE, Set.of()).contains(s.subject());
  }

  private Pt any(Predicate<Pt> ok) {
    List<Pt> c = patients.stream().filter(ok).toList();
    return c.get(random.nextInt(c.size()));
  }

  private void inject() {
    int n = options.instances();
    List<Staff> clinical = new ArrayList<>(staff.stream().filter(s -> s.role().equals("clinician") || s.role().equals("nurse")).toList());
    Collections.shuffle(clinical, random);
    Set<String> identityChanged = new HashSet<>();
    // Own record, family (surname) and household/neighbour (address): the directory entry is made to match a patient.
    for (int i = 0; i < 3 * n; i++) {
      Staff s = clinical.get(i % clinical.size());
      if (!identityChanged.add(s.subject())) {
        throw new IllegalStateException("not enough clinical staff for the identity scenarios");
      }
      Pt p = any(q -> ordinary(q) && target(q) && q.dept() == s.dept());
      Patient r = p.resource();
      var name = r.getNameFirstRep();
      var addr = r.getAddressFirstRep();
      Staff changed = switch (i / n) {
        case 0 -> s.as(name.getFamily(), name.getGivenAsSingleString().split(" ")[0], r.getBirthDateElement().getValueAsString(),
            s.line(), s.postal());
        case 1 -> s.as(name.getFamily(), s.given(), s.birthDate(), s.line(), s.postal());
        default -> s.as(s.family(), s.given(), s.birthDate(), addr.getLine().get(0).getValue(), addr.getPostalCode());
      };
      staff.set(staff.indexOf(s), changed);
      Rule rule = i / n == 0 ? Rule.OWN_RECORD : i / n == 1 ? Rule.SAME_SURNAME : Rule.SAME_ADDRESS;
      if (rule == Rule.OWN_RECORD) {
        staffPatients.add(p.id());
      }
      excluded.computeIfAbsent(s.subject(), x -> new HashSet<>()).add(p.id());
      open(label(rule, changed, p), changed, during(8, 17), p, "get_patient_demographics", "get_active_conditions");
    }
    List<Staff> clinicians = staff.stream().filter(s -> s.role().equals("clinician") || s.role().equals("nurse")).toList();
    List<Pt> colleagues = patients.stream().filter(p -> staffPatients.contains(p.id())).toList();
    for (int i = 0; i < n; i++) {
      Pt colleague = colleagues.get(i % colleagues.size());
      Staff y = pick(Rule.COWORKER_RECORD, clinicians, s -> s.dept() == colleague.dept() && !related(s, colleague));
      open(label(Rule.COWORKER_RECORD, y, colleague), y, during(8, 17), colleague, "get_patient_demographics", "get_lab_results");
      String vipId = List.copyOf(vipIds).get(i % vipIds.size());
      Pt vip = patients.stream().filter(p -> p.id().equals(vipId)).findFirst().orElseThrow();
      Staff v = pick(Rule.VIP_RECORD, clinicians, s -> s.dept() == vip.dept() && !related(s, vip));
      open(label(Rule.VIP_RECORD, v, vip), v, during(8, 17), vip, "get_patient_demographics", "get_clinical_notes");
      Pt dead = any(p -> p.deceased() && target(p));
      Staff d = pick(Rule.DECEASED_PATIENT, clinicians, s -> !related(s, dead));
      open(label(Rule.DECEASED_PATIENT, d, dead), d, during(8, 17), dead, "get_active_conditions");
      Pt dormant = any(p -> p.dormant() && target(p) && !vipIds.contains(p.id()));
      Staff nv = pick(Rule.NO_RECENT_VISIT, clinicians, s -> !related(s, dormant));
      open(label(Rule.NO_RECENT_VISIT, nv, dormant), nv, during(8, 17), dormant, "get_active_conditions", "get_medications");
      Staff od = pick(Rule.OUTSIDE_DEPARTMENT, clinicians, s -> true);
      Pt away = any(p -> ordinary(p) && target(p) && p.dept() != od.dept() && !related(od, p));
      open(label(Rule.OUTSIDE_DEPARTMENT, od, away), od, during(8, 17), away, "get_clinical_notes");
      Staff ah = pick(Rule.AFTER_HOURS, clinicians, s -> true);
      List<Pt> usual = pool(ah, false).stream().filter(this::target).toList();
      Pt own = usual.get(random.nextInt(usual.size()));
      open(label(Rule.AFTER_HOURS, ah, null), ah, MIDNIGHT.plusSeconds(20 * 3600 + random.nextInt(3 * 3600)), own,
          "get_patient_demographics", "get_clinical_notes");
    }
    for (int i = 0; i < n; i++) {
      Staff u = pick(Rule.VOLUME_ABOVE_BASELINE, staff, s -> s.role().equals("clinician"));
      Label l = label(Rule.VOLUME_ABOVE_BASELINE, u, null);
      Instant t = during(11, 15);
      List<Pt> pool = pool(u, false).stream().filter(this::target).toList();
      for (int c = 0; c < 130; c++) {
        Pt p = pool.get(c % 3);
        activities.add(new Activity(t.plusSeconds(20L * c), u, c % 2 == 0 ? "get_patient_demographics" : "get_allergies",
            Map.of("patient_id", p.id()), l, false));
      }
    }
    for (int i = 0; i < n; i++) {
      Staff u = pick(Rule.MANY_PATIENTS, staff, s -> pool(s, false).stream().filter(this::target).count() >= 28
          && !s.role().equals("billing") && !volumeInsider(s));
      Label l = label(Rule.MANY_PATIENTS, u, null);
      Instant t = during(9, 16);
      List<Pt> pool = new ArrayList<>(pool(u, false).stream().filter(this::target).toList());
      Collections.shuffle(pool, random);
      for (int c = 0; c < Math.min(30, pool.size()); c++) {
        activities.add(new Activity(t.plusSeconds(15L * c), u, "get_patient_demographics", Map.of("patient_id", pool.get(c).id()),
            l, false));
      }
    }
    for (int i = 0; i < n; i++) {
      Staff u = pick(Rule.REPEATED_DENIALS, staff, s -> s.role().equals("front-desk") || s.role().equals("billing"));
      Label l = label(Rule.REPEATED_DENIALS, u, null);
      Instant t = during(9, 16);
      List<Pt> pool = pool(u, true);
      for (int c = 0; c < 6; c++) {
        activities.add(new Activity(t.plusSeconds(35L * c), u, "get_clinical_notes",
            Map.of("patient_id", pool.get(random.nextInt(pool.size())).id()), l, false));
      }
    }
    List<Staff> glass = new ArrayList<>(staff.stream().filter(s -> s.role().equals("clinician")).toList());
    Collections.shuffle(glass, random);
    for (int i = 0; i < n; i++) {
      Staff u = glass.get(i % glass.size());
      Label l = label(Rule.BREAK_GLASS_FREQUENCY, u, null);
      List<Pt> pool = pool(u, false).stream().filter(this::target).toList();
      for (int c = 0; c < 3; c++) {
        Pt p = pool.get(random.nextInt(pool.size()));
        activities.add(new Activity(during(8 + 3 * c, 10 + 3 * c), u, "break_the_glass",
            Map.of("patient_id", p.id(), "reason", "Unconscious patient in the emergency department, records needed"), l, false));
      }
    }
    for (int i = 0; i < n; i++) {
      Staff u = pick(Rule.LARGE_EXTRACT, staff, s -> s.role().equals("clinician") && !volumeInsider(s));
      Label l = label(Rule.LARGE_EXTRACT, u, null);
      Instant t = during(9, 16);
      List<Pt> rich = pool(u, false).stream().filter(this::target)
          .sorted(Comparator.comparingInt((Pt p) -> -repo.forPatient("Observation", p.id()).size())).limit(6).toList();
      for (int c = 0; c < rich.size(); c++) {
        activities.add(new Activity(t.plusSeconds(120L * c), u, "get_lab_results",
            Map.of("patient_id", rich.get(c).id(), "limit", 50), l, true));
      }
    }
  }

  // ---- normal traffic ---------------------------------------------------------------------------------------------

  private static final Map<String, List<String>> TOOLS = Map.of(
      "clinician", List.of("get_patient_demographics", "get_active_conditions", "get_medications", "get_allergies",
          "get_lab_results", "get_vital_signs", "get_clinical_notes", "list_encounters", "get_immunizations"),
      "nurse", List.of("get_vital_signs", "get_medications", "get_allergies", "get_patient_demographics", "get_immunizations"),
      "front-desk", List.of("get_patient_demographics", "check_coverage", "list_appointments"),
      "billing", List.of("list_encounters", "check_coverage", "get_active_conditions", "get_patient_demographics"));

  private void normalDay() {
    List<Staff> legitGlass = new ArrayList<>(staff.stream().filter(s -> s.role().equals("clinician")).toList());
    Collections.shuffle(legitGlass, random);
    for (Staff s : staff) {
      int start = switch (s.role()) {
        case "nurse" -> 7;
        case "billing" -> 9;
        default -> 8;
      };
      int end = s.role().equals("nurse") ? 18 : 17;
      int gapMinutes = switch (s.role()) {
        case "clinician" -> 22;
        case "nurse" -> 15;
        case "front-desk" -> 7;
        default -> 9;
      };
      List<Pt> pool = pool(s, s.role().equals("front-desk"));
      List<String> tools = TOOLS.get(s.role());
      Instant t = MIDNIGHT.plusSeconds(start * 3600L + random.nextInt(600));
      Instant stop = MIDNIGHT.plusSeconds(end * 3600L + 1800);
      while (t.isBefore(stop)) {
        if (t.isAfter(MIDNIGHT.plusSeconds(12 * 3600)) && t.isBefore(MIDNIGHT.plusSeconds(12 * 3600 + 2400))) {
          t = t.plusSeconds(2400); // lunch
          continue;
        }
        Pt p = pool.get(random.nextInt(pool.size()));
        if (s.role().equals("front-desk")) {
          var name = p.resource().getNameFirstRep();
          activities.add(new Activity(t, s, "find_patient", Map.of("family", name.getFamily(),
              "birthdate", p.resource().getBirthDateElement().getValueAsString()), null, false));
          t = t.plusSeconds(20 + random.nextInt(40));
        }
        List<String> visit = new ArrayList<>(tools);
        Collections.shuffle(visit, random);
        int calls = Math.min(visit.size(), 2 + random.nextInt(4));
        for (int c = 0; c < calls; c++) {
          activities.add(new Activity(t, s, visit.get(c), Map.of("patient_id", p.id()), null, false));
          t = t.plusSeconds(15 + random.nextInt(75));
        }
        if (s.role().equals("front-desk") && random.nextInt(40) == 0) {
          // An honest mistake: a tool outside the role, refused once.
          activities.add(new Activity(t, s, "get_active_conditions", Map.of("patient_id", p.id()), null, false));
        }
        t = t.plusSeconds(gapMinutes * 60L / 2 + random.nextInt(gapMinutes * 60));
      }
    }
    // A legitimate emergency: two clinicians break the glass once each.
    for (int i = 0; i < 2; i++) {
      Staff s = legitGlass.get(legitGlass.size() - 1 - i);
      Pt p = pool(s, false).get(0);
      activities.add(new Activity(during(9, 16), s, "break_the_glass",
          Map.of("patient_id", p.id(), "reason", "Patient collapsed in the waiting room, history needed now"), null, false));
    }
  }

  @Override
  public void close() {
    if (assembly != null) {
      assembly.close();
    }
    if (store != null) {
      store.close();
    }
  }
}
