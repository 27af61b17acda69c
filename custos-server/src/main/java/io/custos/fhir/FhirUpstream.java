package io.custos.fhir;

/**
 * The seam to the clinical data server (FHIR R4). The embedded store and any external server (Epic,
 * Oracle Health, HAPI, Medplum, HealthLake, Azure) are reached through the same interface.
 *
 * <p>Implementations must be thread-safe. Every method throws {@link UpstreamException} (never another
 * runtime exception) when the upstream fails, so callers can map failures to distinct tool errors.
 */
public interface FhirUpstream {

  /**
   * Executes a read or search.
   *
   * @return for a {@link UpstreamRequest.Read}, a page with exactly one resource; for a search, the first page
   * @throws UpstreamException on any upstream failure
   */
  SearchPage execute(UpstreamRequest request);

  /**
   * Follows a {@code next} link previously returned in a {@link SearchPage}.
   *
   * @throws UpstreamException on upstream failure
   * @throws IllegalArgumentException if the link does not point at this upstream's base URL
   */
  SearchPage nextPage(String nextLink);

  /**
   * FHIR R4 create (3.1.0.4), optionally conditional ({@code If-None-Exist}, 3.1.0.8): when
   * {@code ifNoneExist} (a search query such as {@code identifier=urn:custos:proposal|123}) matches a resource,
   * nothing is written and that resource is reported with {@code created = false}. Added for the human-approved
   * write tools; read-only upstreams keep the default, which refuses.
   *
   * @throws UpstreamException on any upstream failure (status 405 when writes are unsupported)
   */
  default WriteOutcome create(org.hl7.fhir.r4.model.Resource resource, java.util.Optional<String> ifNoneExist) {
    throw new UpstreamException(UpstreamException.Kind.DENIED, 405);
  }

  /**
   * FHIR R4 update (3.1.0.5) of {@code resource} (its id names the target), optionally version-aware
   * ({@code If-Match: W/"version"}, 3.1.0.5.4): a different current version fails with status 409 or 412.
   *
   * @throws UpstreamException on any upstream failure
   */
  default WriteOutcome update(org.hl7.fhir.r4.model.Resource resource, java.util.Optional<String> ifMatchVersion) {
    throw new UpstreamException(UpstreamException.Kind.DENIED, 405);
  }

  /** The upstream base URL (for diagnostics; contains no PHI). */
  String baseUrl();

  /**
   * This upstream as used on behalf of {@code caller} for one tool call: its requests carry the credential
   * {@code upstream.auth} prescribes for that caller ({@link UpstreamAuth}), never the caller's inbound token.
   * The user's identity flows here explicitly from the pipeline, not through thread-locals.
   */
  default FhirUpstream as(io.custos.auth.Caller caller) {
    return this;
  }
}
