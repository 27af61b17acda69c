package io.custos.pipeline;

import io.custos.auth.Caller;
import io.custos.fhir.SearchPage;
import io.custos.tools.ToolArguments;
import io.custos.tools.ToolSpec;
import java.util.Map;
import java.util.UUID;

/**
 * The state of one tool call as it moves through the stages (in the manner of HAPI's RequestDetails).
 * Each field is written by exactly one stage, named beside it.
 */
public final class ToolExchange {
  final ToolCall call;
  final String callId = UUID.randomUUID().toString();
  final long startNanos = System.nanoTime();

  /** {@link Authenticate}. */
  Caller caller;
  /** {@link GovernancePipeline} (tool lookup). */
  ToolSpec spec;
  /** {@link Authorize}: the one patient this call may read, never chosen by free text. Null for non-patient tools. */
  String patientId;
  /** {@link Authorize}: the granted scope that permits the call. */
  String scope;
  /** {@link Authorize}: the break-the-glass grant this call relies on, or null. */
  io.custos.policy.BreakGlass.Grant breakGlass;
  /** {@link AuditIntent}. */
  boolean intentRecorded;
  /** {@link ValidateArguments}. */
  ToolArguments arguments;
  /** {@link ValidateArguments}: page size for this call. */
  int pageSize;
  /** {@link UpstreamFetch}. */
  SearchPage page;
  /** {@link FilterRedact}. */
  Map<String, Object> structured;
  /** {@link FilterRedact}: number of records returned. */
  int recordCount;
  /** {@link FilterRedact}: SHA-256 of the serialized result. */
  String resultSha256;
  /** {@link FilterRedact}. */
  String resultJson;

  ToolExchange(ToolCall call) {
    this.call = call;
  }

  long elapsedMicros() {
    return (System.nanoTime() - startNanos) / 1_000;
  }
}
