package io.custos.pipeline;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.UpstreamException;
import io.custos.fhir.UpstreamRequest;
import io.custos.tools.ToolSpec;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

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
  /**
   * (user, patient) pairs whose Patient this user recently saw exist (a non-empty search or a successful read), so
   * an empty result does not cost a Patient read on every call. Per user: one user's reads never tell another that a
   * patient exists. Five minutes, as the care relationships; a patient deleted meanwhile reads as "no records".
   */
  private final Cache<String, Boolean> existing = Caffeine.newBuilder().maximumSize(100_000)
      .expireAfterWrite(Duration.ofMinutes(5)).build();

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
        if (ex.patientId != null) {
          String key = ex.caller.subject() + "\n" + ex.patientId;
          if (ex.page.resources().isEmpty() && existing.getIfPresent(key) == null) {
            requirePatient(upstream, ex, spec); // only an empty result can hide an unknown patient
          }
          existing.put(key, Boolean.TRUE);
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
