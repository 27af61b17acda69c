package io.custos.fhir;

import java.util.Optional;

/**
 * One thing a tool needs from the FHIR upstream, in the terms of a CapabilityStatement (FHIR R4
 * {@code CapabilityStatement.rest.resource}): an interaction on a resource type, or a search parameter of it.
 *
 * @param resourceType FHIR R4 resource type, e.g. {@code Observation}
 * @param interaction  the REST interaction ({@code interaction.code})
 * @param searchParam  for {@link Interaction#SEARCH_TYPE}: the search parameter name without modifier
 *                     ({@code searchParam.name}); empty for the bare interaction
 */
public record UpstreamNeed(String resourceType, Interaction interaction, Optional<String> searchParam) {

  /** The REST interactions Custos uses (CapabilityStatement {@code interaction.code}, plus conditional create). */
  public enum Interaction {
    READ("read"),
    SEARCH_TYPE("search-type"),
    CREATE("create"),
    UPDATE("update"),
    /** {@code create} with {@code If-None-Exist} ({@code CapabilityStatement.rest.resource.conditionalCreate}). */
    CONDITIONAL_CREATE("conditional create");

    private final String code;

    Interaction(String code) {
      this.code = code;
    }

    /** The CapabilityStatement code ({@code read}, {@code search-type}, ...). */
    public String code() {
      return code;
    }
  }

  public static UpstreamNeed interaction(String resourceType, Interaction interaction) {
    return new UpstreamNeed(resourceType, interaction, Optional.empty());
  }

  /**
   * A search parameter; a modifier ({@code family:exact}) is dropped, as a CapabilityStatement lists bare names.
   */
  public static UpstreamNeed searchParam(String resourceType, String name) {
    int colon = name.indexOf(':');
    return new UpstreamNeed(resourceType, Interaction.SEARCH_TYPE, Optional.of(colon < 0 ? name : name.substring(0, colon)));
  }

  /** For messages: {@code search parameter 'category' on Observation} or {@code interaction 'read' on Patient}. */
  public String describe() {
    return searchParam.map(p -> "search parameter '" + p + "' on " + resourceType)
        .orElse("interaction '" + interaction.code() + "' on " + resourceType);
  }
}
