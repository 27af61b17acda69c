package io.custos.pipeline;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditEvent;
import io.custos.auth.Caller;
import java.util.Optional;
import io.custos.audit.AuditTrail;
import io.custos.audit.AuditUnavailableException;
import io.custos.audit.PatientPseudonyms;
import io.custos.fhir.FhirUpstream;
import io.custos.phi.SensitiveDataPolicy;
import io.custos.policy.AccessControl;
import io.custos.policy.AlertSink;
import io.custos.tools.ToolCatalog;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The governance pipeline every tool call goes through, no exceptions (SPEC.md "The pipeline"). The
 * order of {@link #stages} below is the order in SPEC.md and the only place it is defined.
 *
 * <p>Every call yields audit events: a refused call before its intent yields one {@code DENIED} event;
 * any other call yields an {@code INTENT} and a {@code RESULT} event (the result carrying the failure
 * reason if it failed).
 */
public final class GovernancePipeline {
  private static final Logger log = LoggerFactory.getLogger(GovernancePipeline.class);

  private final ToolCatalog catalog;
  private final AuditRecorder audit;
  private final List<Stage> stages;
  /** The researcher tools' path (null when no cohort service is configured). */
  private final List<Stage> researchStages;
  private final BreakGlassDeclaration breakGlass;
  private final AccessControl access;

  /**
   * @param catalog    declared tools
   * @param upstream   the FHIR R4 upstream
   * @param trail      durable audit trail
   * @param pseudonyms patient pseudonymizer for audit events
   * @param validator  JSON Schema validator for arguments
   * @param fhir       shared FHIR R4 context
   * @param mapper     JSON mapper for results
   * @param clock      time source (token expiry, cursors, audit timestamps)
   * @param version    server version recorded in audit events
   * @param access     roles, scopes, MFA, care relationships, break-the-glass
   * @param alerts     where security alerts go
   */
  public GovernancePipeline(ToolCatalog catalog, FhirUpstream upstream, AuditTrail trail, PatientPseudonyms pseudonyms,
      JsonSchemaValidator validator, FhirContext fhir, ObjectMapper mapper, Clock clock, String version,
      AccessControl access, AlertSink alerts) {
    this(catalog, upstream, trail, pseudonyms, validator, fhir, mapper, clock, version, access, alerts, SensitiveDataPolicy.treating());
  }

  /**
   * As above, with the policy deciding who may receive records in sensitive categories (42 CFR Part 2 and
   * similar; the default is {@link SensitiveDataPolicy#treating()}).
   */
  public GovernancePipeline(ToolCatalog catalog, FhirUpstream upstream, AuditTrail trail, PatientPseudonyms pseudonyms,
      JsonSchemaValidator validator, FhirContext fhir, ObjectMapper mapper, Clock clock, String version,
      AccessControl access, AlertSink alerts, SensitiveDataPolicy sensitivePolicy) {
    this(catalog, upstream, trail, pseudonyms, validator, fhir, mapper, clock, version, access, alerts, sensitivePolicy, null);
  }

  /**
   * As above, with the researcher tools ({@code cohort_count}, {@code cohort_extract}) served by {@code cohorts}
   * (null: not offered).
   */
  public GovernancePipeline(ToolCatalog catalog, FhirUpstream upstream, AuditTrail trail, PatientPseudonyms pseudonyms,
      JsonSchemaValidator validator, FhirContext fhir, ObjectMapper mapper, Clock clock, String version,
      AccessControl access, AlertSink alerts, SensitiveDataPolicy sensitivePolicy, io.custos.phi.research.CohortService cohorts) {
    this.catalog = catalog;
    this.access = access;
    this.audit = new AuditRecorder(trail, pseudonyms, clock, version);
    PageCursors cursors = new PageCursors(clock, Duration.ofMinutes(15), 10_000);
    Authenticate authenticate = new Authenticate(clock);
    this.breakGlass = new BreakGlassDeclaration(access, authenticate, audit, alerts, clock);
    this.stages = List.of(
        authenticate,
        new Authorize(access),
        new AuditIntent(audit),
        new ValidateArguments(validator),
        new UpstreamFetch(upstream, cursors),
        new FilterRedact(fhir, mapper, cursors, sensitivePolicy),
        new AuditResult(audit));
    // Researcher tools: same authenticate and audit stages; their own authorize and a de-identified cohort stage.
    this.researchStages = cohorts == null ? null : List.of(
        authenticate,
        new ResearchStages.Authorize(access),
        new AuditIntent(audit),
        new ResearchStages.Cohort(cohorts, mapper),
        new AuditResult(audit));
  }

  /** Runs one call through every stage. Never throws: failures become error outcomes. */
  public ToolOutcome handle(ToolCall call) {
    ToolExchange ex = new ToolExchange(call);
    return run(ex, () -> {
      ex.spec = catalog.find(call.toolName()).orElseThrow(() ->
          new ToolCallException(ToolCallException.Reason.UNKNOWN_TOOL, "Unknown tool."));
      return stages;
    });
  }

  /**
   * Runs one researcher-tool call ({@link io.custos.tools.ResearchTools}): authenticate, research authorize
   * (role, {@code user/} scopes, MFA), audit intent, de-identified cohort, audit result. Never throws.
   */
  public ToolOutcome research(ToolCall call) {
    ToolExchange ex = new ToolExchange(call);
    return run(ex, () -> {
      if (researchStages == null) {
        throw new ToolCallException(ToolCallException.Reason.UNKNOWN_TOOL, "Unknown tool.");
      }
      ResearchStages.declaration(call.toolName());
      return researchStages;
    });
  }

  private ToolOutcome run(ToolExchange ex, java.util.function.Supplier<List<Stage>> route) {
    try {
      for (Stage stage : route.get()) {
        stage.apply(ex);
      }
      return new ToolOutcome(ex.structured, ex.resultJson, null);
    } catch (ToolCallException e) {
      return refuse(ex, e);
    } catch (RuntimeException e) {
      // Log the exception class only: messages of library exceptions may quote PHI.
      log.error("tool call {} failed internally: {}", ex.callId, e.getClass().getName());
      return refuse(ex, new ToolCallException(ToolCallException.Reason.INTERNAL, "Internal error; the call was not completed."));
    }
  }

  /**
   * Whether {@code tools/list} shows {@code tool} to this caller: its role lists the tool and a granted scope
   * permits its resource type ({@code break_the_glass}: a role allowed to declare it). Calls are still
   * checked in full by the pipeline.
   */
  public boolean visible(Optional<Caller> caller, String tool) {
    if (caller.isEmpty()) {
      return false;
    }
    if (tool.equals(BREAK_THE_GLASS)) {
      return caller.get().roles().stream().anyMatch(access.breakGlassRoles()::contains);
    }
    if (researchStages != null && io.custos.tools.ResearchTools.all().stream().anyMatch(t -> t.name().equals(tool))) {
      return access.roles().allows(caller.get(), tool) && java.util.stream.Stream.of("Patient", "Condition").allMatch(type ->
          access.scopes().grant(caller.get(), type).filter(g -> !g.context().equals("patient")).isPresent());
    }
    return catalog.find(tool).map(spec -> access.roles().allows(caller.get(), tool)
        && access.scopes().grant(caller.get(), spec.resourceType()).isPresent()).orElse(false);
  }

  /** Name of the emergency-access tool. */
  public static final String BREAK_THE_GLASS = "break_the_glass";

  /**
   * The {@code break_the_glass} declaration: authenticated, role- and MFA-checked, audited with its reason,
   * alerting. Never throws.
   */
  public ToolOutcome declareBreakGlass(ToolCall call) {
    return breakGlass.declare(call);
  }

  private ToolOutcome refuse(ToolExchange ex, ToolCallException e) {
    try {
      audit.record(ex, ex.intentRecorded ? AuditEvent.Phase.RESULT : AuditEvent.Phase.DENIED, e.reason().code());
    } catch (AuditUnavailableException auditDown) {
      log.error("tool call {} refused ({}) and its audit event could not be written", ex.callId, e.reason().code());
    }
    return ToolOutcome.failure(e);
  }
}
