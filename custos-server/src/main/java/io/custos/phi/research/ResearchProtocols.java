package io.custos.phi.research;

import io.custos.phi.SensitiveCategory;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Research protocols approved by the organisation (an IRB or privacy board, 45 CFR 164.512(i)), as configured: what a
 * researcher citing one may receive beyond Safe Harbor defaults. Without a protocol, cohorts on a sensitive condition
 * are refused and every extract gets pseudonyms of its own (no linkage across extracts).
 */
public final class ResearchProtocols {
  /**
   * One approved protocol.
   *
   * @param id         the protocol's identifier as researchers cite it
   * @param categories sensitive categories its cohorts may be about (the researcher also needs the
   *                   {@code sensitive-data:<category>} role)
   * @param linkage    whether its extracts keep the same pseudonym for a patient across extracts (approved linkage)
   * @param investigators the users ({@code sub}) approved to work under it; no one else may cite it
   */
  public record Protocol(String id, Set<SensitiveCategory> categories, boolean linkage, Set<String> investigators) {
    public Protocol {
      categories = categories.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(categories));
      investigators = Set.copyOf(investigators);
    }
  }

  private final Map<String, Protocol> byId;

  private ResearchProtocols(Map<String, Protocol> byId) {
    this.byId = Map.copyOf(byId);
  }

  /** No approved protocol. */
  public static ResearchProtocols none() {
    return new ResearchProtocols(Map.of());
  }

  /** These protocols; ids must be unique. */
  public static ResearchProtocols of(Iterable<Protocol> protocols) {
    Map<String, Protocol> m = new LinkedHashMap<>();
    for (Protocol p : protocols) {
      if (m.putIfAbsent(p.id(), p) != null) {
        throw new IllegalArgumentException("research protocol ids must be unique");
      }
    }
    return new ResearchProtocols(m);
  }

  /** The approved protocol with {@code id}, if {@code subject} is one of its investigators. */
  public Optional<Protocol> find(String id, String subject) {
    return Optional.ofNullable(byId.get(id)).filter(p -> p.investigators().contains(subject));
  }
}
