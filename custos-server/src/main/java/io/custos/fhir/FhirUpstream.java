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
