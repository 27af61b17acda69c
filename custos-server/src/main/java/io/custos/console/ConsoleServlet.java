package io.custos.console;

import io.custos.audit.AuditEvent;
import io.custos.audit.AuditIds;
import io.custos.audit.ledger.DisclosureReport;
import io.custos.audit.ledger.DisclosureReporter;
import io.custos.audit.ledger.StoredEvent;
import io.custos.auth.Caller;
import io.custos.auth.ClaimsMapping;
import io.custos.compliance.ComplianceDocuments;
import io.custos.compliance.ComplianceReport;
import io.custos.incident.Incident;
import io.custos.incident.IncidentReport;
import io.custos.incident.IncidentStore;
import io.custos.incident.Incidents;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolOutcome;
import io.custos.policy.AlertSink;
import io.custos.tools.Declaration;
import io.custos.verify.VerificationReport;
import io.custos.writes.ProposalStore;
import io.custos.writes.WriteStages;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compliance console at {@code /console}: server-rendered pages for privacy and security officers (overview,
 * alerts, break-the-glass review, accounting of disclosures, access review, compliance report) and for clinicians
 * (write approvals, the exact payload an agent proposed).
 *
 * <p>Security: sign-in by OpenID Connect authorization code with PKCE ({@link OidcSignIn}); the ID token must carry
 * MFA evidence ({@code amr}/{@code acr}) and one of the roles {@value #PRIVACY_OFFICER}, {@value #SECURITY_OFFICER} or
 * {@value #CLINICIAN} (approvals only), or the sign-in is refused and audited. Sessions live on the server
 * ({@link ConsoleSessions}); the cookie is HttpOnly, Secure, SameSite=Lax (the identity provider's redirect back is a
 * top-level cross-site GET) and its id changes at sign-in. Every POST carries the session's CSRF token (synchronizer
 * token pattern) and a same-origin {@code Origin}, else 403. Every response is {@code no-store} with a
 * Content-Security-Policy that allows no script and no framing ({@code frame-ancestors 'none'}, plus
 * {@code X-Frame-Options: DENY}). Every action and every look at audit data is a ledger event (tool
 * {@code custos.console.*}); logs never carry request values.
 */
public final class ConsoleServlet extends HttpServlet {
  static final String PRIVACY_OFFICER = "privacy-officer";
  static final String SECURITY_OFFICER = "security-officer";
  static final String CLINICIAN = "clinician";
  /** The session cookie; {@code __Host-} binds it to this origin, path {@code /}, Secure. */
  static final String COOKIE = "__Host-custos-console";
  static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
      + "frame-ancestors 'none'; base-uri 'none'";
  /** Most rows the access review shows. */
  static final int MAX_ROWS = 500;
  /** Most pending proposals the approvals page lists (the oldest first: those closest to expiring). */
  static final int APPROVALS_PAGE = 50;

  private static final Logger log = LoggerFactory.getLogger(ConsoleServlet.class);
  private static final Pattern PROPOSAL_ID = Pattern.compile("^p-[A-Za-z0-9_-]{22}$");
  private static final Pattern ALERT_ID = Pattern.compile("^[A-Za-z0-9-]{1,64}$");
  private static final Pattern INCIDENT_ID = Pattern.compile("^[0-9a-f-]{36}$");
  /** Where a sign-in may return to: a console page path, nothing else (no open redirect). */
  private static final Pattern NEXT = Pattern.compile("^/console/[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)?$");
  private static final Pattern CALL_ID = Pattern.compile("^[A-Za-z0-9_-]{1,64}$");
  private static final int MAX_NOTE = 4000;
  private static final com.fasterxml.jackson.databind.ObjectMapper PRETTY = new com.fasterxml.jackson.databind.ObjectMapper();

  /** The console's ledger events. */
  enum Action {
    SIGN_IN("custos.console.sign-in"), VIEW("custos.console.view"), VERIFY("custos.console.verify-ledger"),
    ALERT_ACKNOWLEDGE("custos.console.alert.acknowledge"), ALERT_ESCALATE("custos.console.alert.escalate"),
    ALERT_CLOSE("custos.console.alert.close"), BREAK_GLASS_REVIEW("custos.console.break-glass.review"),
    DISCLOSURES("custos.console.disclosures"), REPORT("custos.console.compliance-report"),
    APPROVALS_LIST("custos.console.approvals.list");

    final String tool;

    Action(String tool) {
      this.tool = tool;
    }
  }

  /**
   * What the console needs.
   *
   * @param oidc       the relying party
   * @param claims     ID token claims to a person (roles claim, MFA values)
   * @param idle       idle timeout of a session (the MCP idle logoff)
   * @param ledger     the audit ledger
   * @param notes      encrypted notes file
   * @param alerts     the alert log
   * @param pipeline   the governed path (write approvals go through it)
   * @param proposals  the write proposals
   * @param compliance builds the compliance report on demand
   * @param version    Custos version, recorded in console events
   * @param clock      time source
   * @param witness    the ledger's witness now (overview)
   * @param sharedNotes a fleet's case notes in its database; empty: the {@code notes} file
   * @param sharedIncidents a fleet's incident records in its database; empty: {@code <dataDir>/incidents/}
   */
  public record Settings(OidcSignIn oidc, ClaimsMapping claims, Duration idle, LedgerView ledger, java.nio.file.Path notes,
      AlertLog alerts, GovernancePipeline pipeline, ProposalStore proposals, Supplier<ComplianceReport> compliance,
      String version, Clock clock, Supplier<io.custos.compliance.WitnessStatus> witness, Optional<CaseNotes> sharedNotes,
      Optional<IncidentStore> sharedIncidents) {
    /** Incident records in {@code <dataDir>/incidents/}. */
    public Settings(OidcSignIn oidc, ClaimsMapping claims, Duration idle, LedgerView ledger, java.nio.file.Path notes,
        AlertLog alerts, GovernancePipeline pipeline, ProposalStore proposals, Supplier<ComplianceReport> compliance,
        String version, Clock clock, Supplier<io.custos.compliance.WitnessStatus> witness, Optional<CaseNotes> sharedNotes) {
      this(oidc, claims, idle, ledger, notes, alerts, pipeline, proposals, compliance, version, clock, witness, sharedNotes,
          Optional.empty());
    }

    /** One server without a witness: notes in the {@code notes} file. */
    public Settings(OidcSignIn oidc, ClaimsMapping claims, Duration idle, LedgerView ledger, java.nio.file.Path notes,
        AlertLog alerts, GovernancePipeline pipeline, ProposalStore proposals, Supplier<ComplianceReport> compliance,
        String version, Clock clock) {
      this(oidc, claims, idle, ledger, notes, alerts, pipeline, proposals, compliance, version, clock,
          io.custos.compliance.WitnessStatus::none, Optional.empty());
    }
  }

  private final transient Settings s;
  private final transient ConsoleSessions sessions;
  private final transient CaseNotes notes;
  private final transient Incidents incidents;
  private volatile String lastVerification = "not yet run";

  /** @throws IOException when the notes key is unusable */
  public ConsoleServlet(Settings settings) throws IOException {
    this.s = settings;
    this.sessions = new ConsoleSessions(settings.idle(), settings.clock());
    this.notes = settings.sharedNotes().isPresent() ? settings.sharedNotes().get() : fileNotes(settings);
    // The data directory holds the ledger directory (its layout as the command line's incidents see it).
    Incidents local = new Incidents(settings.ledger().dir().getParent(), settings.ledger().keys(), settings.clock(),
        settings.ledger()::record);
    this.incidents = settings.sharedIncidents().map(local::storedIn).orElse(local);
  }

  private static CaseNotes fileNotes(Settings settings) throws IOException {
    try {
      return CaseNotes.file(settings.notes(), settings.ledger().keys().ledgerAead());
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("ledger key unusable", e);
    }
  }

  /** Builds the relying party for {@code issuer}, with the console's callback under {@code base} ({@code https://host:port}). */
  public static OidcSignIn relyingParty(String issuer, String clientId, String base) {
    return new OidcSignIn(issuer, clientId, java.net.URI.create(base + "/console/callback"), Duration.ofSeconds(10));
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    headers(resp);
    String path = path(req);
    try {
      switch (path) {
        case "/static/console.css" -> { css(resp); return; }
        case "/signin" -> { signIn(req, resp); return; }
        case "/callback" -> { callback(req, resp); return; }
        default -> { }
      }
      Optional<ConsoleSessions.Session> session = session(req);
      if (session.isEmpty() || session.get().caller().isEmpty()) {
        Map<String, Object> m = new HashMap<>(Map.of("heading", "Sign in", "text",
            "The compliance console needs you to sign in with multi-factor authentication.", "signin", true));
        if (NEXT.matcher("/console" + path).matches()) {
          m.put("next", "/console" + path);
        }
        page(resp, 401, "message", m);
        return;
      }
      ConsoleSessions.Session sess = session.get();
      boolean landing = sessions.landing(sess.id(), "/console" + path);
      if (!sameOriginNavigation(req) && !landing) {
        // SameSite=Lax sends the cookie on another site's top-level link: a page look that would be audited in this
        // person's name happens only after their own click on this same-origin link (or as the sign-in's own landing,
        // which arrives through the identity provider's cross-site redirects).
        Map<String, Object> m = new HashMap<>(Map.of("heading", "Open this page?", "text",
            "You followed a link from another site. Nothing was shown or recorded; open the page if you meant to."));
        m.put("confirm", NEXT.matcher("/console" + path).matches() ? "/console" + path : "/console/");
        page(resp, 200, "message", model(sess, m));
        return;
      }
      Caller who = sess.caller().orElseThrow();
      if (path.startsWith("/approvals")) {
        if (!who.roles().contains(CLINICIAN)) {
          forbidden(resp, sess);
          return;
        }
        if (path.equals("/approvals") || path.equals("/approvals/")) {
          approvals(req, resp, sess);
        } else {
          approval(req, resp, sess, path.substring("/approvals/".length()), false);
        }
        return;
      }
      if (!officer(who)) {
        if (path.equals("/") || path.isEmpty()) {
          resp.sendRedirect("/console/approvals");
        } else {
          forbidden(resp, sess);
        }
        return;
      }
      switch (path) {
        case "", "/" -> overview(resp, sess);
        case "/alerts" -> alerts(resp, sess);
        case "/break-glass" -> breakGlass(resp, sess);
        case "/disclosures" -> disclosuresByPseudonym(req, resp, sess);
        case "/access" -> access(req, resp, sess);
        case String p when p.startsWith("/incidents/") -> incident(req, resp, sess, p.substring("/incidents/".length()));
        case "/compliance" -> page(resp, 200, "compliance", model(sess, Map.of("report", s.compliance().get())));
        case "/compliance/report.json" -> report(req, resp, sess, ComplianceDocuments.Format.JSON);
        case "/compliance/report.html" -> report(req, resp, sess, ComplianceDocuments.Format.HTML);
        case "/compliance/report.pdf" -> report(req, resp, sess, ComplianceDocuments.Format.PDF);
        default -> page(resp, 404, "message", model(sess, Map.of("heading", "Not found", "text", "There is no such console page.")));
      }
    } catch (io.custos.audit.AuditUnavailableException e) {
      log.error("console: audit ledger unavailable; request refused");
      page(resp, 503, "message", Map.of("heading", "Unavailable", "text", "The audit ledger is unavailable; nothing was shown."));
    } catch (IOException | RuntimeException e) {
      log.error("console: {} while serving a page", e.getClass().getSimpleName());
      page(resp, 500, "message", Map.of("heading", "Something went wrong", "text", "The page could not be produced."));
    }
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    headers(resp);
    Optional<ConsoleSessions.Session> session = session(req);
    // Same-origin check (defence in depth) and the synchronizer token: a forged cross-site POST has neither.
    if (session.isEmpty() || !sameOrigin(req) || !constantTimeEquals(session.get().csrf(), req.getParameter("csrf"))) {
      page(resp, 403, "message", Map.of("heading", "Refused", "text",
          "This form was not submitted from your console session; nothing was done.", "signin", session.isEmpty()));
      return;
    }
    ConsoleSessions.Session sess = session.get();
    String path = path(req);
    try {
      if (path.equals("/signout")) {
        sessions.end(sess.id());
        clearCookie(resp);
        page(resp, 200, "message", Map.of("heading", "Signed out", "text", "You are signed out of the console.", "signin", true));
        return;
      }
      if (sess.caller().isEmpty()) {
        page(resp, 401, "message", Map.of("heading", "Sign in", "text", "Sign in first.", "signin", true));
        return;
      }
      Caller who = sess.caller().orElseThrow();
      if (path.startsWith("/approvals/") && who.roles().contains(CLINICIAN)) {
        approval(req, resp, sess, path.substring("/approvals/".length()), true);
        return;
      }
      if (!officer(who)) {
        forbidden(resp, sess);
        return;
      }
      switch (path) {
        case "/verify" -> {
          VerificationReport r = s.ledger().verify();
          lastVerification = s.clock().instant() + ": " + r.summary();
          record(req, who, Action.VERIFY, AuditIds.call(), r.ok() ? "success" : "ledger-findings", List.of(), null);
          resp.sendRedirect("/console/");
        }
        case "/alerts/action" -> alertAction(req, resp, who);
        case "/break-glass/review" -> breakGlassReview(req, resp, who);
        case "/disclosures/reidentify" -> disclosuresByIdentifier(req, resp, sess);
        default -> page(resp, 404, "message", model(sess, Map.of("heading", "Not found", "text", "There is no such action.")));
      }
    } catch (io.custos.audit.AuditUnavailableException e) {
      log.error("console: audit ledger unavailable; action refused");
      page(resp, 503, "message", Map.of("heading", "Unavailable", "text", "The audit ledger is unavailable; nothing was done."));
    } catch (IOException | RuntimeException e) {
      log.error("console: {} while performing an action", e.getClass().getSimpleName());
      page(resp, 500, "message", Map.of("heading", "Something went wrong", "text", "The action could not be completed."));
    }
  }

  // --- sign-in -------------------------------------------------------------------------------------

  private void signIn(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    OidcSignIn.Pending pending = OidcSignIn.newPending();
    String next = req.getParameter("next");
    ConsoleSessions.Session signing = sessions.signingIn(pending,
        next != null && NEXT.matcher(next).matches() ? Optional.of(next) : Optional.empty());
    try {
      java.net.URI to = s.oidc().start(pending);
      setCookie(resp, signing.id());
      resp.sendRedirect(to.toString());
    } catch (Exception e) {
      sessions.end(signing.id());
      log.warn("console: identity provider discovery failed ({})", e.getClass().getSimpleName());
      page(resp, 503, "message", Map.of("heading", "Sign-in unavailable", "text", "The identity provider could not be reached."));
    }
  }

  private void callback(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    Optional<ConsoleSessions.Session> signing = session(req);
    String state = req.getParameter("state");
    String code = req.getParameter("code");
    if (signing.isEmpty() || signing.get().pending().isEmpty() || state == null || code == null
        || !constantTimeEquals(signing.get().pending().get().state().getValue(), state)) {
      page(resp, 400, "message", Map.of("heading", "Sign-in failed", "text", "The sign-in could not be matched to this browser; start again.",
          "signin", true));
      return;
    }
    sessions.end(signing.get().id());
    Caller caller;
    try {
      OidcSignIn.Identity id = s.oidc().finish(signing.get().pending().get(), code);
      var c = id.claims();
      Caller claimed = s.claims().toCaller(OidcSignIn.claims(c), c.getExpirationTime().toInstant(),
          c.getJWTID() != null ? c.getJWTID() : id.accessToken(), id.accessToken());
      // The person acts through the console, the client the ID token was issued to (its validated aud), never an agent's.
      caller = new Caller(claimed.subject(), s.oidc().clientId(), claimed.fhirUser(), claimed.roles(), claimed.scopes(),
          claimed.patientContext(), claimed.mfa(), claimed.tokenIdHash(), claimed.expiresAt(), claimed.authTime(),
          claimed.credential());
    } catch (Exception e) {
      log.warn("console: sign-in refused, the ID token did not validate ({})", e.getClass().getSimpleName());
      page(resp, 401, "message", Map.of("heading", "Sign-in failed", "text", "The identity provider's answer did not validate.",
          "signin", true));
      return;
    }
    Optional<String> refusal = !caller.mfa() ? Optional.of("mfa-required")
        : !officer(caller) && !caller.roles().contains(CLINICIAN) ? Optional.of("wrong-role") : Optional.empty();
    record(req, caller, Action.SIGN_IN, AuditIds.call(), refusal.orElse("success"), List.of(), null);
    if (refusal.isPresent()) {
      clearCookie(resp);
      page(resp, 403, "message", Map.of("heading", "Not permitted", "text", refusal.get().equals("mfa-required")
          ? "The console requires multi-factor authentication. Sign in again with a second factor."
          : "Your role does not give access to the compliance console.", "signin", true));
      return;
    }
    String landing = signing.get().next().orElse(officer(caller) ? "/console/" : "/console/approvals");
    ConsoleSessions.Session session = sessions.signedIn(signing.get().id(), caller, landing);
    setCookie(resp, session.id());
    resp.sendRedirect(landing);
  }

  // --- pages ---------------------------------------------------------------------------------------

  private void overview(HttpServletResponse resp, ConsoleSessions.Session sess) throws IOException {
    Instant since = s.clock().instant().minus(Duration.ofHours(24));
    List<StoredEvent> events = s.ledger().events();
    long calls = 0;
    long denials = 0;
    for (StoredEvent e : events) {
      AuditEvent a = e.event();
      if (a.timestamp().isBefore(since) || administrative(a)) {
        continue;
      }
      if (a.phase() == AuditEvent.Phase.RESULT) {
        calls++;
      } else if (a.phase() == AuditEvent.Phase.DENIED) {
        denials++;
        calls++;
      }
    }
    long alerts = s.alerts().recent(10_000).stream().filter(a -> !a.windowEnd().isBefore(since)).count();
    long toReview = breakGlassAccesses(events).stream().filter(b -> !(Boolean) b.get("reviewed")).count();
    String checkpoint = s.ledger().lastCheckpoint().map(cp -> "size " + cp.treeSize() + ", signed "
        + Duration.between(cp.timestamp(), s.clock().instant()).toMinutes() + " min ago").orElse("none yet");
    Map<String, Object> m = new HashMap<>();
    m.put("calls", calls);
    m.put("denials", denials);
    m.put("alerts", alerts);
    m.put("breakGlass", toReview);
    m.put("entries", events.size());
    m.put("checkpoint", checkpoint);
    m.put("witness", s.witness().get().describe(s.clock().instant()));
    m.put("verification", lastVerification);
    page(resp, 200, "overview", model(sess, m));
  }

  private void alerts(HttpServletResponse resp, ConsoleSessions.Session sess) throws IOException {
    Map<String, List<String>> history = new HashMap<>();
    Map<String, String> state = new HashMap<>();
    Map<String, String> text = notes.all();
    for (StoredEvent e : s.ledger().events()) {
      AuditEvent a = e.event();
      for (Action act : List.of(Action.ALERT_ACKNOWLEDGE, Action.ALERT_ESCALATE, Action.ALERT_CLOSE)) {
        if (act.tool.equals(a.tool())) {
          String done = switch (act) {
            case ALERT_ACKNOWLEDGE -> "acknowledged";
            case ALERT_ESCALATE -> "escalated";
            default -> "closed";
          };
          state.put(a.callId(), done);
          history.computeIfAbsent(a.callId(), k -> new ArrayList<>()).add(a.timestamp() + " " + done + " by " + a.subject()
              + Optional.ofNullable(text.get(a.eventId())).map(n -> ": " + n).orElse(""));
        }
      }
    }
    Map<String, String> incidentOf = incidentsByAlert(s.ledger().events());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (AlertSink.Alert a : s.alerts().recent(500)) {
      Map<String, Object> r = new HashMap<>();
      r.put("id", a.id());
      r.put("rule", a.rule());
      r.put("severity", a.severity().name().toLowerCase(java.util.Locale.ROOT));
      r.put("state", state.getOrDefault(a.id(), "open"));
      r.put("closed", "closed".equals(state.get(a.id())));
      r.put("user", a.subject());
      r.put("window", a.windowStart() + " to " + a.windowEnd());
      r.put("count", a.count());
      r.put("patients", a.patientPseudonyms().isEmpty() ? "none" : String.join(", ", a.patientPseudonyms()));
      r.put("evidence", String.join(", ", a.evidenceEventIds()));
      r.put("history", history.getOrDefault(a.id(), List.of()));
      r.put("incident", Optional.ofNullable(incidentOf.get(a.id())).orElse(""));
      rows.add(r);
    }
    page(resp, 200, "alerts", model(sess, Map.of("alerts", rows)));
  }

  private void alertAction(HttpServletRequest req, HttpServletResponse resp, Caller who) throws IOException {
    String id = req.getParameter("alert_id");
    String note = Optional.ofNullable(req.getParameter("note")).orElse("").strip();
    Action act = switch (String.valueOf(req.getParameter("action"))) {
      case "acknowledge" -> Action.ALERT_ACKNOWLEDGE;
      case "escalate" -> Action.ALERT_ESCALATE;
      case "close" -> Action.ALERT_CLOSE;
      default -> null;
    };
    Optional<AlertSink.Alert> alert = id == null || !ALERT_ID.matcher(id).matches() ? Optional.empty()
        : s.alerts().recent(10_000).stream().filter(a -> a.id().equals(id)).findFirst();
    if (act == null || alert.isEmpty() || note.length() > MAX_NOTE || act == Action.ALERT_CLOSE && note.isEmpty()) {
      page(resp, 400, "message", Map.of("heading", "Not done", "text",
          "Choose an alert and an action; closing needs a note (at most " + MAX_NOTE + " characters)."));
      return;
    }
    if (act == Action.ALERT_ESCALATE) {
      // 45 CFR 164.308(a)(6): the incident (record and ledger event) exists before the escalation is recorded; one per
      // alert: this lock for this server, a fleet's incident store (unique alert id) across replicas.
      synchronized (incidents) {
        if (!incidentsByAlert(s.ledger().events()).containsKey(id)) {
          incidents.open(alert.get().document(), new Incidents.Operator(who.subject(), who.clientId(), who.roles(),
              who.tokenIdHash(), req.getRemoteAddr()), Incident.RiskAssessment.pending());
        }
      }
    }
    record(req, who, act, id, "success", List.of(), note.isEmpty() ? null : note);
    resp.sendRedirect("/console/alerts");
  }

  /** Alert id to the id of the incident opened from it, from the ledger's incident-opening events (the first wins). */
  private Map<String, String> incidentsByAlert(List<StoredEvent> events) throws IOException {
    Map<String, String> out = new HashMap<>();
    for (StoredEvent e : events) {
      if (Incidents.OPEN_TOOL.equals(e.event().tool())) {
        incidents.opened(e.event()).ifPresent(i -> out.putIfAbsent(i.alertId(), i.id()));
      }
    }
    return out;
  }

  /** One incident: its record (verified against its ledger event) and its ledger history; a look that is audited. */
  private void incident(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess, String id)
      throws IOException {
    Optional<Incident> found = Optional.empty();
    List<AuditEvent> history = new ArrayList<>();
    if (INCIDENT_ID.matcher(id).matches()) {
      for (StoredEvent e : s.ledger().events()) {
        if (id.equals(e.event().callId())) {
          history.add(e.event());
          if (found.isEmpty()) {
            found = incidents.opened(e.event());
          }
        }
      }
    }
    if (found.isEmpty()) {
      page(resp, 404, "message", model(sess, Map.of("heading", "Not found", "text", "There is no such incident.")));
      return;
    }
    IncidentReport report = new IncidentReport(found.get(), history, s.clock().instant());
    record(req, sess.caller().orElseThrow(), Action.VIEW, id, "success", found.get().patientPseudonyms(), null);
    page(resp, 200, "incident", model(sess, Map.of("id", id, "rows", report.rows(), "history",
        history.stream().map(a -> a.timestamp() + " " + a.tool() + " by " + a.subject()).toList())));
  }

  /** Emergency accesses, newest first: one per call that relied on break-the-glass, with its review. */
  private List<Map<String, Object>> breakGlassAccesses(List<StoredEvent> events) throws IOException {
    Map<String, Map<String, Object>> byCall = new LinkedHashMap<>();
    Map<String, String> reviews = new HashMap<>();
    Map<String, String> text = notes.all();
    for (StoredEvent e : events) {
      AuditEvent a = e.event();
      if (Action.BREAK_GLASS_REVIEW.tool.equals(a.tool())) {
        reviews.put(a.callId(), a.outcome() + " by " + a.subject() + " at " + a.timestamp()
            + Optional.ofNullable(text.get(a.eventId())).map(n -> ": " + n).orElse(""));
      } else if (a.breakGlass() && a.phase() == AuditEvent.Phase.RESULT && !administrative(a)) {
        Map<String, Object> b = new HashMap<>();
        b.put("callId", a.callId());
        b.put("user", a.subject());
        b.put("at", a.timestamp().toString());
        b.put("reason", a.breakGlassReason() == null ? "(none stated)" : a.breakGlassReason());
        b.put("read", a.tool() + ": " + a.recordCount() + " " + (a.resourceType() == null ? "record(s)" : a.resourceType()
            + " record(s)") + ", outcome " + a.outcome());
        b.put("patients", a.patientRefs().isEmpty() ? "none" : String.join(", ", a.patientRefs()));
        byCall.put(a.callId(), b);
      }
    }
    List<Map<String, Object>> out = new ArrayList<>();
    byCall.values().forEach(b -> {
      String review = reviews.get((String) b.get("callId"));
      b.put("reviewed", review != null);
      b.put("review", review == null ? "not reviewed" : review);
      out.add(0, b);
    });
    return out;
  }

  private void breakGlass(HttpServletResponse resp, ConsoleSessions.Session sess) throws IOException {
    page(resp, 200, "break-glass", model(sess, Map.of("accesses", breakGlassAccesses(s.ledger().events()))));
  }

  private void breakGlassReview(HttpServletRequest req, HttpServletResponse resp, Caller who) throws IOException {
    String call = req.getParameter("call_id");
    String note = Optional.ofNullable(req.getParameter("note")).orElse("").strip();
    String verdict = String.valueOf(req.getParameter("verdict"));
    if (call == null || !CALL_ID.matcher(call).matches() || note.isEmpty() || note.length() > MAX_NOTE
        || !Set.of("justified", "not-justified").contains(verdict)) {
      page(resp, 400, "message", Map.of("heading", "Not done", "text",
          "A review needs the access, a verdict and a note (at most " + MAX_NOTE + " characters)."));
      return;
    }
    record(req, who, Action.BREAK_GLASS_REVIEW, call, verdict, List.of(), note);
    resp.sendRedirect("/console/break-glass");
  }

  private void disclosuresByPseudonym(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess)
      throws IOException {
    Map<String, Object> m = dates(req);
    String pseudonym = Optional.ofNullable(req.getParameter("pseudonym")).orElse("").strip();
    m.put("pseudonym", pseudonym);
    m.put("shown", false);
    if (!pseudonym.isEmpty()) {
      List<DisclosureReport.Disclosure> found = disclosures(Set.of(pseudonym), req);
      record(req, sess.caller().orElseThrow(), Action.DISCLOSURES, AuditIds.call(), "success", List.of(pseudonym), null);
      m.put("shown", true);
      m.put("heading", "Disclosures for pseudonym " + pseudonym);
      m.put("disclosures", found);
    }
    page(resp, 200, "disclosures", model(sess, m));
  }

  /** By identifier: the identifier is turned into its pseudonyms, and that re-identification is audited first. */
  private void disclosuresByIdentifier(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess)
      throws IOException {
    String patient = Optional.ofNullable(req.getParameter("patient_id")).orElse("").strip();
    Map<String, Object> m = dates(req);
    m.put("pseudonym", "");
    if (patient.isEmpty() || patient.length() > 128) {
      page(resp, 400, "message", model(sess, Map.of("heading", "Not done", "text", "Give a patient identifier.")));
      return;
    }
    List<String> pseudonyms = s.ledger().pseudonymsFor(patient);
    List<DisclosureReport.Disclosure> found = disclosures(new HashSet<>(pseudonyms), req);
    AuditEvent reid = event(req, sess.caller().orElseThrow(), DisclosureReporter.REIDENTIFY_TOOL, AuditIds.call(), "success",
        pseudonyms, null);
    s.ledger().record(reid);
    m.put("shown", true);
    m.put("heading", "Disclosures for the patient (" + pseudonyms.size() + " pseudonym(s))");
    m.put("disclosures", found);
    page(resp, 200, "disclosures", model(sess, m));
  }

  private List<DisclosureReport.Disclosure> disclosures(Set<String> pseudonyms, HttpServletRequest req) throws IOException {
    Instant from = date(req.getParameter("from"), LocalDate.of(1970, 1, 1));
    Instant to = date(req.getParameter("to"), LocalDate.now(s.clock()).plusDays(1)).plus(Duration.ofDays(1));
    List<DisclosureReport.Disclosure> out = new ArrayList<>();
    for (StoredEvent e : s.ledger().events()) {
      DisclosureReporter.disclosure(e, pseudonyms, from, to).ifPresent(out::add);
    }
    return out;
  }

  private void access(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess) throws IOException {
    String user = Optional.ofNullable(req.getParameter("user")).orElse("").strip();
    String tool = Optional.ofNullable(req.getParameter("tool")).orElse("").strip();
    Instant from = date(req.getParameter("from"), LocalDate.of(1970, 1, 1));
    Instant to = date(req.getParameter("to"), LocalDate.now(s.clock()).plusDays(1)).plus(Duration.ofDays(1));
    List<AuditEvent> rows = new ArrayList<>();
    for (StoredEvent e : s.ledger().events()) {
      AuditEvent a = e.event();
      if ((user.isEmpty() || user.equals(a.subject())) && (tool.isEmpty() || tool.equals(a.tool()))
          && !a.timestamp().isBefore(from) && a.timestamp().isBefore(to)) {
        rows.add(0, a);
      }
    }
    boolean truncated = rows.size() > MAX_ROWS;
    Map<String, Object> m = dates(req);
    m.put("user_filter", user);
    m.put("tool_filter", tool);
    m.put("rows", truncated ? rows.subList(0, MAX_ROWS) : rows);
    m.put("truncated", truncated);
    record(req, sess.caller().orElseThrow(), Action.VIEW, AuditIds.call(), "success", List.of(), null);
    page(resp, 200, "access", model(sess, m));
  }

  private void report(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess,
      ComplianceDocuments.Format format) throws IOException {
    ComplianceReport report = s.compliance().get();
    byte[] body = ComplianceDocuments.render(report, format);
    record(req, sess.caller().orElseThrow(), Action.REPORT, AuditIds.call(), "success", List.of(), null);
    resp.setStatus(200);
    resp.setContentType(format.mediaType());
    resp.setHeader("Content-Disposition", "attachment; filename=\"custos-compliance-report." + format.extension() + "\"");
    resp.getOutputStream().write(body);
  }

  // --- write approvals -----------------------------------------------------------------------------

  /**
   * The approvals index: the signed-in clinician's own proposals awaiting a decision (pending, unexpired), oldest
   * first, at most {@value #APPROVALS_PAGE}, each linking to its approval page; patients appear as ledger pseudonyms.
   * The listing is a ledger event naming those pseudonyms. A pasted approval link or proposal id opens that proposal.
   */
  private void approvals(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess) throws IOException {
    String given = Optional.ofNullable(req.getParameter("proposal")).orElse("").strip();
    String id = given.substring(given.lastIndexOf('/') + 1);
    if (PROPOSAL_ID.matcher(id).matches()) {
      resp.sendRedirect("/console/approvals/" + id);
      return;
    }
    Caller who = sess.caller().orElseThrow();
    List<Map<String, Object>> rows = new ArrayList<>();
    Set<String> patients = new java.util.LinkedHashSet<>();
    for (ProposalStore.Snapshot p : s.proposals().pendingFor(who.subject(), s.clock().instant(), APPROVALS_PAGE)) {
      List<String> pseudonyms = s.ledger().pseudonymsFor(p.proposal().patientId());
      String patient = pseudonyms.isEmpty() ? "not yet in the audit ledger" : pseudonyms.get(pseudonyms.size() - 1);
      patients.addAll(pseudonyms);
      rows.add(Map.of("id", p.proposal().id(), "tool", p.proposal().tool(), "resource", p.proposal().resourceType(),
          "patient", patient, "proposed", seconds(p.proposal().createdAt()), "expires", seconds(p.proposal().expiresAt())));
    }
    record(req, who, Action.APPROVALS_LIST, AuditIds.call(), "success", List.copyOf(patients), null);
    page(resp, 200, "approvals", model(sess, Map.of("unknown", !given.isEmpty(), "pending", rows,
        "full", rows.size() == APPROVALS_PAGE, "max", APPROVALS_PAGE)));
  }

  /** View or decide one proposal: a governed {@value WriteStages#APPROVE} call with the signed-in person as caller. */
  private void approval(HttpServletRequest req, HttpServletResponse resp, ConsoleSessions.Session sess, String id, boolean post)
      throws IOException {
    if (!PROPOSAL_ID.matcher(id).matches()) {
      page(resp, 404, "message", model(sess, Map.of("heading", "Not found", "text", "No such proposal.")));
      return;
    }
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("proposal_id", id);
    String decision = post ? String.valueOf(req.getParameter("decision")) : "view";
    if (post && !Set.of("approve", "reject").contains(decision)) {
      page(resp, 400, "message", model(sess, Map.of("heading", "Not done", "text", "Approve or reject.")));
      return;
    }
    args.put("decision", decision);
    if (post && req.getParameter("payload_sha256") != null) {
      args.put("payload_sha256", req.getParameter("payload_sha256"));
    }
    ToolOutcome out = s.pipeline().handle(Declaration.Kind.OPERATION, new ToolCall(WriteStages.APPROVE, args,
        sess.caller(), ClaimsMapping.sha256(sess.id()).substring(0, 16), req.getRemoteAddr(), ToolCall.Channel.APPROVAL_PAGE, Optional.empty()));
    if (out.isError()) {
      page(resp, 409, "message", model(sess, Map.of("heading", "Not done", "text", out.text())));
      return;
    }
    Map<String, Object> m = new HashMap<>();
    m.put("p", out.structured());
    // The pipeline has just authorized this person for this proposal: show the exact payload its digest covers.
    m.put("payload", s.proposals().get(id).map(p -> pretty(p.proposal().payloadJson())).orElse(""));
    m.put("outcome", post ? (decision.equals("approve") ? "Approved. The agent can now commit exactly this write."
        : "Rejected. Nothing will be written.") : null);
    page(resp, 200, "approval", model(sess, m));
  }

  // --- plumbing ------------------------------------------------------------------------------------

  /** An instant for reading: ISO 8601 UTC to the second. */
  private static String seconds(Instant t) {
    return t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  /** Canonical JSON indented for reading (the same members and values, so the same digest when canonicalised). */
  private static String pretty(String json) {
    try {
      return PRETTY.writerWithDefaultPrettyPrinter().writeValueAsString(PRETTY.readTree(json));
    } catch (IOException e) {
      return json;
    }
  }

  private static boolean officer(Caller c) {
    return c.roles().contains(PRIVACY_OFFICER) || c.roles().contains(SECURITY_OFFICER);
  }

  private static boolean administrative(AuditEvent a) {
    return a.tool() != null && a.tool().startsWith(DisclosureReporter.ADMINISTRATIVE_PREFIX);
  }

  private void record(HttpServletRequest req, Caller who, Action action, String callId, String outcome, List<String> patients,
      String note) throws IOException {
    AuditEvent e = event(req, who, action.tool, callId, outcome, patients, note);
    if (note != null) {
      notes.add(e.eventId(), note);
    }
    s.ledger().record(e);
  }

  private AuditEvent event(HttpServletRequest req, Caller who, String tool, String callId, String outcome, List<String> patients,
      String note) {
    return new AuditEvent(AuditIds.event(), callId, s.clock().instant(), AuditEvent.Phase.RESULT, who.subject(),
        who.fhirUser().orElse(null), who.clientId(), null, who.tokenIdHash(), who.roles(), tool, null, patients, null, outcome,
        0, note == null ? null : ClaimsMapping.sha256(note), 0, req.getRemoteAddr(), s.version());
  }

  private Map<String, Object> model(ConsoleSessions.Session sess, Map<String, Object> page) {
    Map<String, Object> m = new HashMap<>(page);
    sess.caller().ifPresent(c -> {
      m.put("user", c.subject());
      m.put("officer", officer(c));
      m.put("clinician", c.roles().contains(CLINICIAN));
    });
    m.put("csrf", sess.csrf());
    return m;
  }

  private Map<String, Object> dates(HttpServletRequest req) {
    Map<String, Object> m = new HashMap<>();
    m.put("from", validDate(req.getParameter("from")));
    m.put("to", validDate(req.getParameter("to")));
    return m;
  }

  private static String validDate(String s) {
    try {
      return s == null || s.isBlank() ? "" : LocalDate.parse(s).toString();
    } catch (java.time.format.DateTimeParseException e) {
      return "";
    }
  }

  private static Instant date(String s, LocalDate fallback) {
    String v = validDate(s);
    return (v.isEmpty() ? fallback : LocalDate.parse(v)).atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  private void forbidden(HttpServletResponse resp, ConsoleSessions.Session sess) throws IOException {
    page(resp, 403, "message", model(sess, Map.of("heading", "Not permitted", "text", "Your role does not give access to this page.")));
  }

  private static void page(HttpServletResponse resp, int status, String template, Map<String, Object> model) throws IOException {
    resp.setStatus(status);
    resp.setContentType("text/html; charset=utf-8");
    resp.getWriter().write(Templates.render(template, model));
  }

  private static void css(HttpServletResponse resp) throws IOException {
    try (InputStream in = ConsoleServlet.class.getResourceAsStream("/io/custos/console/static/console.css")) {
      resp.setContentType("text/css; charset=utf-8");
      resp.getOutputStream().write(in.readAllBytes());
    }
  }

  private static void headers(HttpServletResponse resp) {
    resp.setCharacterEncoding(StandardCharsets.UTF_8.name());
    resp.setHeader("Cache-Control", "no-store");
    resp.setHeader("Content-Security-Policy", CSP);
    resp.setHeader("X-Frame-Options", "DENY");
    resp.setHeader("X-Content-Type-Options", "nosniff");
    // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with a form POST (Fetch standard),
    // which the same-origin check must refuse.
    resp.setHeader("Referrer-Policy", "same-origin");
    resp.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    resp.setHeader("Strict-Transport-Security", "max-age=31536000");
  }

  private static String path(HttpServletRequest req) {
    return req.getPathInfo() == null ? "" : req.getPathInfo();
  }

  private Optional<ConsoleSessions.Session> session(HttpServletRequest req) {
    Cookie[] cookies = req.getCookies();
    if (cookies == null) {
      return Optional.empty();
    }
    for (Cookie c : cookies) {
      if (COOKIE.equals(c.getName())) {
        return sessions.find(c.getValue());
      }
    }
    return Optional.empty();
  }

  /**
   * A POST must come from the console: {@code Origin} (or, without it, {@code Referer}) names the console's public
   * origin, or the scheme, host and port the request reached.
   */
  private boolean sameOrigin(HttpServletRequest req) {
    String reached = req.getScheme() + "://" + req.getServerName() + ":" + req.getServerPort();
    List<String> selves = List.of(s.oidc().origin(), reached, withoutDefaultPort(reached));
    String origin = req.getHeader("Origin");
    if (origin != null) {
      return selves.contains(origin);
    }
    String referer = req.getHeader("Referer");
    return referer == null || selves.stream().anyMatch(o -> referer.startsWith(o + "/"));
  }

  /**
   * Whether a page request is this console's own navigation by the Fetch Metadata request header {@code Sec-Fetch-Site}
   * (W3C Fetch Metadata): {@code same-origin}, or {@code none} (typed, bookmarked). A client that sends no such header
   * (not a browser, or one older than Fetch Metadata) is let through, as SameSite cookies are its only protection.
   */
  private static boolean sameOriginNavigation(HttpServletRequest req) {
    String site = req.getHeader("Sec-Fetch-Site");
    return site == null || site.equals("same-origin") || site.equals("none");
  }

  private static String withoutDefaultPort(String origin) {
    return origin.replaceFirst("^(https://[^/]+):443$", "$1").replaceFirst("^(http://[^/]+):80$", "$1");
  }

  private void setCookie(HttpServletResponse resp, String id) {
    resp.addHeader("Set-Cookie", COOKIE + "=" + id + "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age="
        + Math.max(s.idle().toSeconds(), ConsoleSessions.SIGN_IN_WINDOW.toSeconds()));
  }

  private static void clearCookie(HttpServletResponse resp) {
    resp.addHeader("Set-Cookie", COOKIE + "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
  }

  private static boolean constantTimeEquals(String expected, String given) {
    return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
  }
}
