package io.custos.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every tool, prompt, resource and HTTP operation Custos serves, in declaration order. The one source of
 * {@code tools/list}, the HTTP preflight, the policy resource, the manifest pin and the role table: nothing is
 * served that is not declared here ({@code RegistryCoverageTest}).
 */
public final class Registry {
  private final List<Declaration> all;
  private final Map<Declaration.Kind, Map<String, Declaration>> byKind = new LinkedHashMap<>();

  public Registry(List<? extends Declaration> declarations) {
    this.all = List.copyOf(declarations);
    for (Declaration d : all) {
      if (byKind.computeIfAbsent(d.kind(), k -> new LinkedHashMap<>()).put(d.name(), d) != null) {
        throw new IllegalArgumentException("declared twice: " + d.kind() + " " + d.name());
      }
    }
  }

  /** Every declaration, in order. */
  public List<Declaration> all() {
    return all;
  }

  /** Declarations of one kind, in order. */
  public List<Declaration> of(Declaration.Kind kind) {
    return new ArrayList<>(byKind.getOrDefault(kind, Map.of()).values());
  }

  /** The declaration of {@code kind} called {@code name}. */
  public Optional<Declaration> find(Declaration.Kind kind, String name) {
    return Optional.ofNullable(byKind.getOrDefault(kind, Map.of()).get(name));
  }

  /** Names of every MCP tool. */
  public Set<String> toolNames() {
    return Set.copyOf(byKind.getOrDefault(Declaration.Kind.TOOL, Map.of()).keySet());
  }
}
