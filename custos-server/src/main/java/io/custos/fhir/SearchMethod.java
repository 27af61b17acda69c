package io.custos.fhir;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * How searches are sent to the upstream (FHIR R4 RESTful API, search: a server supports GET or POST search and may
 * answer {@code 405 Method Not Allowed} to one of them).
 */
public enum SearchMethod {
  /**
   * {@code POST [type]/_search} with a form body: no search value appears in an upstream URL (or its access log).
   * A {@code 405} switches the upstream to {@link #GET} for the rest of the process.
   */
  POST,
  /** {@code GET [type]?params}: search values appear in the URL, so in the upstream's access logs. */
  GET;

  /**
   * Reads {@code post} / {@code get} in any case (configuration files).
   *
   * @throws IllegalArgumentException naming the key {@code upstream.searchMethod} and the allowed values
   */
  @JsonCreator
  public static SearchMethod of(String name) {
    for (SearchMethod m : values()) {
      if (m.name().equalsIgnoreCase(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("upstream.searchMethod: must be post or get");
  }
}
