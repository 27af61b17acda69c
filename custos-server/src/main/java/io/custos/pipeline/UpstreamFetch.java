package io.custos.pipeline;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import io.custos.tools.ToolSpec;

/**
 * Stage 5, upstream fetch: the tool's declared request (or the page a cursor points at) against the FHIR
 * upstream. Upstream failures become distinct, PHI-free tool errors.
 */
final class UpstreamFetch implements Stage {
  @Override
  public StageName name() {
    return StageName.FETCH;
  }

  private final FhirUpstream upstream;
  private final PageCursors cursors;

  UpstreamFetch(FhirUpstream upstream, PageCursors cursors) {
    this.upstream = upstream;
    this.cursors = cursors;
  }

  @Override
  public ToolOutcome intercept(ToolExchange ex, Chain next) {
    ToolSpec spec = (ToolSpec) ex.declaration;
    // Upstream requests carry the credential upstream.auth prescribes for this caller, never the inbound token.
    FhirUpstream upstream = this.upstream.as(ex.caller);
    try {
      var cursor = ex.arguments.string("cursor");
      if (cursor.isPresent()) {
        String link = cursors.resolve(cursor.get(), ex.caller.subject(), spec.name(), ex.patientId)
            .orElseThrow(() -> new ToolCallException(ToolCallException.Reason.INVALID_ARGUMENTS,
                "cursor is unknown, expired, or belongs to another tool, patient or user."));
        ex.page = upstream.nextPage(link);
      } else {
        ex.page = upstream.execute(spec.query().build(ex.arguments, ex.patientId, ex.pageSize));
        if (ex.page.resources().isEmpty()) {
          requirePatient(upstream, ex, spec); // only an empty result can hide an unknown patient
        }
      }
    } catch (UpstreamException e) {
      throw ToolCallException.fromUpstream(e);
    }
    return next.proceed(ex);
  }

  /**
   * A search for an unknown patient returns an empty list, indistinguishable from a patient with no records;
   * when the search came back empty, read the Patient so an unknown patient_id gets a clear not-found error.
   * (A non-empty result already shows the patient exists: no second upstream round trip per call.)
   */
  private static void requirePatient(FhirUpstream upstream, ToolExchange ex, ToolSpec spec) {
    if (ex.patientId != null && !spec.resourceType().equals("Patient")) {
      try {
        upstream.execute(new UpstreamRequest.Read("Patient", ex.patientId));
      } catch (UpstreamException e) {
        if (e.kind() == UpstreamException.Kind.NOT_FOUND) {
          throw new ToolCallException(ToolCallException.Reason.NOT_FOUND, "The patient was not found.");
        }
        throw e;
      }
    }
  }
}
