package io.custos.fhir;

/**
 * A failed call to the upstream FHIR server, classified so that a tool can give a distinct, clear error.
 *
 * <p>The message is fixed per {@link Kind} and never carries the upstream response body, URL or any
 * patient identifier: upstream bodies (OperationOutcome diagnostics, HTML error pages) may echo PHI.
 */
public final class UpstreamException extends RuntimeException {

  /** Failure classes, mapped from the upstream HTTP status or transport failure. */
  public enum Kind {
    /** 404 / 410: the resource does not exist (or is outside the bound patient's compartment). */
    NOT_FOUND("The requested record was not found."),
    /** 401 / 403 from upstream: the upstream server refused this identity. */
    DENIED("The clinical data server refused access for this user."),
    /** Connection refused, timeout, 5xx, 429. */
    UNAVAILABLE("The clinical data server is unavailable; try again later."),
    /** 4xx other than the above, or a response that is not valid FHIR. */
    INVALID_RESPONSE("The clinical data server returned an unusable response.");

    private final String publicMessage;

    Kind(String publicMessage) {
      this.publicMessage = publicMessage;
    }

    /** A short, PHI-free sentence safe to show to the caller. */
    public String publicMessage() {
      return publicMessage;
    }
  }

  private final Kind kind;
  private final int status;

  /**
   * @param kind   failure class
   * @param status upstream HTTP status, or 0 when no response was received
   */
  public UpstreamException(Kind kind, int status) {
    super(kind.name() + (status > 0 ? " (HTTP " + status + ")" : ""), null, false, false);
    this.kind = kind;
    this.status = status;
  }

  public Kind kind() {
    return kind;
  }

  /** Upstream HTTP status, or 0 when the server could not be reached. */
  public int status() {
    return status;
  }
}
