package io.custos.pipeline;

import io.custos.audit.AuditIds;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.fhir.SearchPage;
import io.custos.policy.BreakGlass;
import io.custos.tools.Declaration;
import io.custos.tools.ToolArguments;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.hl7.fhir.r4.model.Resource;

/**
 * The state of one call as it moves through a route (in the manner of HAPI's {@code RequestDetails}). Each field is
 * written by one stage, named beside it; route stages outside this package use the public accessors.
 */
public final class ToolExchange {
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new com.fasterxml.jackson.module.blackbird.BlackbirdModule());

  final ToolCall call;
  final String callId = AuditIds.call();
  final long startNanos = System.nanoTime();
  /** Every stage entered, in order ({@link Stage#run}). */
  final List<StageName> passed = new ArrayList<>();

  /** {@link GovernancePipeline#refuseAuthentication}: SHA-256 of a refused credential (never the credential). */
  String presentedTokenSha256;
  /** The pipeline (registry lookup); null when the name is not declared. */
  Declaration declaration;
  /** {@link Authenticate}. */
  Caller caller;
  /** {@link Authorize}: the granted scopes that permit the call. */
  String scope;
  /** {@link Authorize}: the SMART context of the grant ({@code patient}, {@code user} or {@code system}). */
  String grantContext;
  /** {@link Authorize} (patient-bound token) or {@link BindPatient}: the one patient this call is about. */
  String patientId;
  /** {@link BindPatient}: the break-the-glass grant this call relies on. */
  BreakGlass.Grant breakGlass;
  /** {@link Audit}: whether the intent event is durable. */
  boolean intentRecorded;
  /** {@link Audit}: id of the result event, once durable. */
  String resultEventId;
  /** {@link ValidateArguments}. */
  ToolArguments arguments;
  /** {@link ValidateArguments}: page size for list results. */
  int pageSize;
  /** {@link UpstreamFetch}. */
  SearchPage page;
  /** Route stage: the result. */
  Map<String, Object> structured;
  String resultJson;
  String resultSha256;
  int recordCount;
  /** Consent stage: whether a record of this call is withheld by the patient's consent (the filter counts it). */
  Predicate<Resource> consentWithholds = r -> false;
  /** Consent stage: the Consent provisions that decided this call (PHI-free, audited). */
  List<String> consentApplied = List.of();
  /** Route stage: what the call read when it is not one FHIR resource type (a SQL table), audited as the resource. */
  String auditedResource;
  /** Route stage: patients a directory result names (each audited as a pseudonym). */
  List<String> disclosedPatients = List.of();
  Completion completion = Completion.SUCCESS;

  ToolExchange(ToolCall call) {
    this.call = call;
  }

  public ToolCall call() {
    return call;
  }

  /** Correlates this call's audit events; a write's proposal id is a separate value. */
  public String callId() {
    return callId;
  }

  public Caller caller() {
    return caller;
  }

  public Declaration declaration() {
    return declaration;
  }

  /** The bound patient, once authorize or bind-patient ran. */
  public Optional<String> patientId() {
    return Optional.ofNullable(patientId);
  }

  /** Validated arguments, once validate ran. */
  public ToolArguments arguments() {
    return arguments;
  }

  public Optional<BreakGlass.Grant> breakGlass() {
    return Optional.ofNullable(breakGlass);
  }

  /** Records a stage a route stage performs within itself (a fetch that also filters). */
  public void passedStage(StageName stage) {
    passed.add(stage);
  }

  /** The stages entered so far. */
  public List<StageName> passed() {
    return List.copyOf(passed);
  }

  /**
   * Sets the result: structuredContent, its compact JSON, the SHA-256 of that JSON (audited, never the content), and
   * the number of records it holds.
   */
  public void result(Map<String, Object> structured, int recordCount, Completion completion) {
    this.structured = structured;
    this.recordCount = recordCount;
    this.completion = completion;
    try {
      this.resultJson = JSON.writeValueAsString(structured);
    } catch (JsonProcessingException e) {
      throw new ToolCallException(ToolCallException.Reason.INTERNAL, "The result could not be serialized.");
    }
    this.resultSha256 = sha256(resultJson);
  }

  /** The emergency-access grant this call declares (audited with its reason). */
  public void emergencyAccess(BreakGlass.Grant grant) {
    this.breakGlass = grant;
  }

  /**
   * Records the patient this call is about when a route stage, not the bind-patient stage, establishes it (an
   * approval names its proposal's patient once the approver is known to be the proposer).
   */
  public void attributePatient(String patientId) {
    this.patientId = patientId;
  }

  /**
   * Audits {@code payloadSha256} as this step's digest instead of the result's: the proposal, approval and commit of a
   * write all carry the digest of the one payload they are bound to, which links them in the trail.
   */
  public void boundToPayload(String payloadSha256) {
    this.resultSha256 = payloadSha256;
  }

  /**
   * Lets the filter withhold each record {@code withholds} accepts, counted in the result's {@code withheld} with
   * category {@code consent} (never silently dropped).
   */
  public void withholdByConsent(Predicate<Resource> withholds) {
    this.consentWithholds = withholds;
  }

  /** Whether the patient's Consents (the consent stage) deny {@code record} to this call; false before that stage. */
  public boolean withheldByConsent(Resource record) {
    return consentWithholds.test(record);
  }

  /** The Consent provisions that decided this call, PHI-free entries recorded in its result event. */
  public void consentApplied(java.util.Collection<String> entries) {
    this.consentApplied = List.copyOf(entries);
  }

  /**
   * Records what the call read when that is not the declaration's one FHIR resource type, e.g. {@code sql:DX} (a SQL
   * table); PHI-free, audited as the event's resource.
   */
  public void auditedResource(String resource) {
    this.auditedResource = resource;
  }

  /** Patients named in a directory result, audited as pseudonyms. */
  public void disclosed(List<String> patientIds) {
    this.disclosedPatients = List.copyOf(patientIds);
  }

  long elapsedMicros() {
    return (System.nanoTime() - startNanos) / 1_000;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
