package io.custos.pipeline;

import ca.uhn.fhir.context.FhirContext;
import io.custos.audit.AuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.fhir.FhirUpstream;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.policy.AccessControl;
import io.custos.policy.AlertSink;
import io.custos.policy.RateLimits;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The shared stages, one object each, used by every route that needs them (so a check is written once), and the
 * read route's fetch and filter. Built once by the composition root with {@link #builder()}.
 */
public final class Stages {
  private final Authenticate authenticate;
  private final RateLimit rateLimit;
  private final Authorize authorize;
  private final Audit audit;
  private final Stage auditIntent;
  private final Stage auditIntentOverlapped;
  private final ValidateArguments validate;
  private final BindPatient bindPatient;
  private final UpstreamFetch fetch;
  private final FilterRedact filter;
  private final AlertSink alerts;
  private final Builder settings;

  private Stages(Builder b) {
    settings = b;
    authenticate = new Authenticate(b.clock);
    rateLimit = new RateLimit(b.rateLimits);
    authorize = new Authorize(b.access, b.clock);
    audit = new Audit(new AuditRecorder(b.trail, b.pseudonyms, b.clock, b.version));
    auditIntent = audit.intent();
    auditIntentOverlapped = audit.intentOverlapped();
    validate = new ValidateArguments(b.validator);
    bindPatient = new BindPatient(b.access, b.upstream);
    PageCursors cursors = new PageCursors(b.cursors, b.clock, Duration.ofMinutes(15));
    fetch = new UpstreamFetch(b.upstream, cursors);
    filter = new FilterRedact(b.fhir, cursors, b.sensitiveCategories, b.sensitivePolicy);
    alerts = b.alerts;
  }

  public Stage authenticate() {
    return authenticate;
  }

  public Stage rateLimit() {
    return rateLimit;
  }

  public Stage authorize() {
    return authorize;
  }

  /** Writes the intent before the rest of the route and the result after it. */
  public Stage auditIntent() {
    return auditIntent;
  }

  /**
   * For routes that only read: the intent's fsync overlaps the rest of the route; no result or refusal is released or
   * audited before the intent is durable.
   */
  public Stage auditIntentOverlapped() {
    return auditIntentOverlapped;
  }

  public Stage validate() {
    return validate;
  }

  public Stage bindPatient() {
    return bindPatient;
  }

  /** The read route's FHIR search or read (or the page a cursor points at). */
  public Stage fetch() {
    return fetch;
  }

  /** The read route's minimum-necessary filter (compartment, sensitive categories, element allowlist, projection). */
  public Stage filter() {
    return filter;
  }

  /**
   * Raises a PHI-free alert of {@code kind} when the rest of the route succeeded; placed before the audit stage so the
   * alert names the durable result event it refers to (45 CFR 164.400-414 breach readiness).
   */
  public Stage alert(String kind) {
    return Stage.afterSuccess(StageName.ALERT,
        ex -> alerts.alert(AlertSink.Alert.single(kind, AlertSink.Severity.HIGH, ex.caller.subject(), ex.resultEventId,
            ex.callId, settings.clock.instant())));
  }

  /** The time source the stages use. */
  public Clock clock() {
    return settings.clock;
  }

  /** Roles, scopes, MFA, care relationships and break-the-glass, as the stages decide with them. */
  public AccessControl access() {
    return settings.access;
  }

  /** The FHIR upstream and its context, for a route's own stages. */
  public FhirUpstream upstream() {
    return settings.upstream;
  }

  public FhirContext fhir() {
    return settings.fhir;
  }

  /** The sensitive-category classifier, for a route's own filtering. */
  public SensitiveCategories sensitiveCategories() {
    return settings.sensitiveCategories;
  }

  /** Who may receive records in sensitive categories, for a route's own filtering. */
  public SensitiveDataPolicy sensitivePolicy() {
    return settings.sensitivePolicy;
  }


  Audit audit() {
    return audit;
  }

  RateLimits rateLimits() {
    return rateLimit.limits();
  }

  Authorize authorizer() {
    return authorize;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builder; every setter is required except the sensitive-data policy (default {@link SensitiveDataPolicy#treating()})
   * and classifier (default: the checked-in value sets, {@link SensitiveCategories#SensitiveCategories(FhirContext)}).
   */
  public static final class Builder {
    private Clock clock;
    private AccessControl access;
    private RateLimits rateLimits;
    private AuditTrail trail;
    private PatientPseudonyms pseudonyms;
    private String version;
    private JsonSchemaValidator validator;
    private FhirUpstream upstream;
    private FhirContext fhir;
    private SensitiveDataPolicy sensitivePolicy = SensitiveDataPolicy.treating();
    private SensitiveCategories sensitiveCategories;
    private AlertSink alerts;
    private CursorStore cursors;

    public Builder clock(Clock v) {
      clock = v;
      return this;
    }

    public Builder access(AccessControl v) {
      access = v;
      return this;
    }

    public Builder rateLimits(RateLimits v) {
      rateLimits = v;
      return this;
    }

    /** The durable audit trail and the patient pseudonymizer its events use. */
    public Builder audit(AuditTrail trail, PatientPseudonyms pseudonyms) {
      this.trail = trail;
      this.pseudonyms = pseudonyms;
      return this;
    }

    /** Server version recorded in audit events. */
    public Builder version(String v) {
      version = v;
      return this;
    }

    public Builder validator(JsonSchemaValidator v) {
      validator = v;
      return this;
    }

    public Builder upstream(FhirUpstream upstream, FhirContext fhir) {
      this.upstream = upstream;
      this.fhir = fhir;
      return this;
    }

    public Builder sensitivePolicy(SensitiveDataPolicy v) {
      sensitivePolicy = v;
      return this;
    }

    /** The classifier, e.g. over the organisation's VSAC value sets ({@code policy.sensitiveValueSets}). */
    public Builder sensitiveCategories(SensitiveCategories v) {
      sensitiveCategories = v;
      return this;
    }

    public Builder alerts(AlertSink v) {
      alerts = v;
      return this;
    }

    /** Where page cursors are kept (the server's state store). */
    public Builder cursors(CursorStore v) {
      cursors = v;
      return this;
    }

    public Stages build() {
      for (Object o : new Object[] {clock, access, rateLimits, cursors, trail, pseudonyms, version, validator, upstream, fhir, sensitivePolicy, alerts}) {
        Objects.requireNonNull(o, "every Stages.Builder setting is required");
      }
      if (sensitiveCategories == null) {
        sensitiveCategories = new SensitiveCategories(fhir);
      }
      return new Stages(this);
    }
  }
}
