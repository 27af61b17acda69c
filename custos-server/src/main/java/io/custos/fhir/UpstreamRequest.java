package io.custos.fhir;

import java.util.List;
import java.util.Map;

/**
 * One request to the upstream FHIR R4 server, as data. Built by a tool declaration from validated
 * arguments; executed by {@link FhirUpstream}. Free-form query strings are impossible by construction:
 * parameter names come from the tool declaration, values from schema-validated arguments.
 */
public sealed interface UpstreamRequest {

  /** FHIR resource type, e.g. {@code "Condition"}. */
  String resourceType();

  /**
   * A FHIR search (R4 3.1.1 "search"), sent as {@code POST [type]/_search} so no search value lands in
   * an upstream URL or access log.
   *
   * @param params search parameters; each value list is repeated (AND semantics)
   * @param count  page size ({@code _count}), 1..100
   */
  record Search(String resourceType, Map<String, List<String>> params, int count) implements UpstreamRequest {
    public Search {
      params = Map.copyOf(params);
      if (count < 1 || count > 100) {
        throw new IllegalArgumentException("count must be 1..100");
      }
    }
  }

  /** A FHIR read ({@code GET [type]/[id]}). */
  record Read(String resourceType, String id) implements UpstreamRequest {}
}
