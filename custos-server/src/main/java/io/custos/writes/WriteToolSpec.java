package io.custos.writes;

import io.custos.fhir.UpstreamNeed;
import io.custos.tools.ToolHints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A human-approved write tool declared as data (the write counterpart of {@link io.custos.tools.ToolSpec}).
 *
 * @param name           MCP tool name
 * @param title          human-readable title
 * @param description    what the tool proposes and how approval works, for the model
 * @param resourceType   FHIR R4 resource type it creates
 * @param inputSchema    strict JSON Schema ({@code additionalProperties: false}); includes the optional
 *                       {@code proposal_id} used to commit an approved proposal
 * @param outputSchema   JSON Schema of structuredContent
 * @param hints          MCP annotations: never read-only; {@code destructiveHint} and {@code idempotentHint} per tool
 * @param requiredScopes SMART v2 scopes, any one of which permits the write (e.g. {@code user/DocumentReference.c})
 * @param permission     the SMART permission the write needs on {@code resourceType} ({@code c} create)
 * @param action         builds the exact FHIR resource and the preview, and writes it on commit
 */
public record WriteToolSpec(String name, String title, String description, String resourceType,
    Map<String, Object> inputSchema, Map<String, Object> outputSchema, ToolHints hints, List<String> requiredScopes,
    char permission, WriteAction action) implements io.custos.tools.Declaration {

  public WriteToolSpec {
    inputSchema = Map.copyOf(inputSchema);
    outputSchema = Map.copyOf(outputSchema);
    requiredScopes = List.copyOf(requiredScopes);
    if (!Boolean.FALSE.equals(inputSchema.get("additionalProperties"))) {
      throw new IllegalArgumentException(name + ": inputSchema must set additionalProperties=false");
    }
    if (hints.readOnly()) {
      throw new IllegalArgumentException(name + ": a write tool cannot be read-only");
    }
  }

  /** A write tool proposes first; called with {@code proposal_id} the pipeline takes the commit route instead. */
  @Override
  public io.custos.tools.Route route() {
    return io.custos.tools.Route.WRITE_PROPOSE;
  }

  /**
   * A conditional create of {@code resourceType} (If-None-Exist on the proposal's {@code identifier}, so a retried
   * commit never writes twice; {@code conditionalCreate: true} promises the server evaluates it), plus what the
   * action reads or updates besides.
   */
  @Override
  public List<UpstreamNeed> upstreamNeeds() {
    List<UpstreamNeed> needs = new ArrayList<>(List.of(
        UpstreamNeed.interaction(resourceType, UpstreamNeed.Interaction.CREATE),
        UpstreamNeed.interaction(resourceType, UpstreamNeed.Interaction.CONDITIONAL_CREATE)));
    needs.addAll(action.upstreamNeeds());
    return needs;
  }

  /** The SMART permission on the resource type, bound to a patient with a care relationship. */
  @Override
  public io.custos.tools.Access access() {
    return io.custos.tools.Access.createFor(resourceType, permission);
  }
}
