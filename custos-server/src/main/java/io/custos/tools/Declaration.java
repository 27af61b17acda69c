package io.custos.tools;

import java.util.List;
import java.util.Map;

/**
 * One tool, prompt, resource or HTTP operation that Custos serves, declared as data. {@link Registry} holds every
 * declaration; {@code tools/list}, the HTTP preflight, the {@code custos://policy} resource, the tool manifest pin and
 * README's role table all derive from it, and the pipeline picks the route and authorization rules from it.
 */
public interface Declaration {
  /** MCP name (snake_case tool or prompt name, or resource URI). */
  String name();

  String title();

  String description();

  /** Strict JSON Schema of the arguments ({@code additionalProperties: false}). */
  Map<String, Object> inputSchema();

  /** JSON Schema of structuredContent; every property typed. Empty for prompts and resources. */
  Map<String, Object> outputSchema();

  ToolHints hints();

  /** SMART v2 scopes that permit the call (documentation and 403 challenges; {@link #access()} decides). */
  List<String> requiredScopes();

  Route route();

  Access access();

  /**
   * What the declaration needs from the FHIR upstream (interactions and search parameters), checked against the
   * upstream's CapabilityStatement at start. Empty for declarations that do not reach the upstream.
   */
  default List<io.custos.fhir.UpstreamNeed> upstreamNeeds() {
    return List.of();
  }

  /** How the declaration is offered. */
  default Kind kind() {
    return Kind.TOOL;
  }

  /** How a declaration is offered to clients. */
  enum Kind {
    /** An MCP tool ({@code tools/list}, {@code tools/call}). */
    TOOL,
    /** An MCP prompt ({@code prompts/get}). */
    PROMPT,
    /** An MCP resource ({@code resources/read}). */
    RESOURCE,
    /** An HTTP endpoint of Custos itself (the approval page), not offered over MCP. */
    OPERATION
  }
}
