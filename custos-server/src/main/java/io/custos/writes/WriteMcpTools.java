package io.custos.writes;

import io.custos.pipeline.ToolCall;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * MCP declarations of the write tools and of {@value WriteTools#PRIOR_AUTH_STATUS} (MCP Java SDK 2.1.0), with
 * approval by MCP elicitation (spec 2025-11-25, "Elicitation", form mode) when the client declared the capability:
 * the user sees the preview and the payload SHA-256 and chooses approve or reject.
 */
public final class WriteMcpTools {
  /** How long the user has to answer the approval dialog. */
  static final Duration ELICITATION_TIMEOUT = Duration.ofMinutes(5);

  private WriteMcpTools() {}

  /**
   * @param toCall builds the {@link ToolCall} (identity, session, source) exactly as for read tools
   */
  public static List<McpServerFeatures.SyncToolSpecification> specifications(WriteService service,
      BiFunction<McpSyncServerExchange, McpSchema.CallToolRequest, ToolCall> toCall) {
    List<McpServerFeatures.SyncToolSpecification> out = new ArrayList<>();
    for (WriteToolSpec t : service.tools().tools()) {
      McpSchema.Tool tool = McpSchema.Tool.builder().name(t.name()).title(t.title()).description(t.description())
          .inputSchema(t.inputSchema()).outputSchema(t.outputSchema())
          .annotations(new McpSchema.ToolAnnotations(t.title(), t.hints().readOnly(), t.hints().destructive(),
              t.hints().idempotent(), t.hints().openWorld(), null))
          .build();
      out.add(McpServerFeatures.SyncToolSpecification.builder().tool(tool)
          .callHandler((exchange, request) -> toResult(service.handle(toCall.apply(exchange, request), elicitor(exchange))))
          .build());
    }
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("type", "object");
    status.put("properties", Map.of("patient_id", Map.of("type", "string", "description", "FHIR logical id of the Patient"),
        "claim", Map.of("type", "object", "description", "The prior authorization Claim", "properties", Map.of(
            "id", Map.of("type", "string"), "status", Map.of("type", "string"), "use", Map.of("type", "string"),
            "created", Map.of("type", "string", "description", "ISO 8601; empty when not recorded"))),
        "responses", Map.of("type", "array", "description", "The payer's ClaimResponses, oldest first", "items", Map.of(
            "type", "object", "properties", Map.of("id", Map.of("type", "string"), "status", Map.of("type", "string"),
                "outcome", Map.of("type", "string", "description", "queued, complete, error or partial"),
                "disposition", Map.of("type", "string"), "pre_auth_ref", Map.of("type", "string",
                    "description", "Authorization number"), "created", Map.of("type", "string")))),
        "authorization_status", Map.of("type", "string", "description", "Latest outcome, or pending")));
    McpSchema.Tool statusTool = McpSchema.Tool.builder().name(WriteTools.PRIOR_AUTH_STATUS).title("Prior authorization status")
        .description("Status of a prior authorization request (FHIR Claim with use 'preauthorization') from the payer's "
            + "ClaimResponse: outcome, disposition and authorization number; 'pending' until the payer answers.")
        .inputSchema(WriteTools.statusInputSchema()).outputSchema(status)
        .annotations(new McpSchema.ToolAnnotations("Prior authorization status", true, false, true, false, null))
        .build();
    out.add(McpServerFeatures.SyncToolSpecification.builder().tool(statusTool)
        .callHandler((exchange, request) -> toResult(service.status(toCall.apply(exchange, request))))
        .build());
    return out;
  }

  /** An elicitor when the client declared form-mode elicitation, else null. */
  static WriteService.Elicitor elicitor(McpSyncServerExchange exchange) {
    var caps = exchange.getClientCapabilities();
    var elicitation = caps == null ? null : caps.elicitation();
    if (elicitation == null || (elicitation.form() == null && elicitation.url() != null)) {
      return null;
    }
    return message -> {
      Map<String, Object> decision = new LinkedHashMap<>();
      decision.put("type", "string");
      decision.put("title", "Decision");
      decision.put("description", "approve writes exactly the payload shown; reject writes nothing");
      decision.put("enum", List.of("approve", "reject"));
      Map<String, Object> schema = new LinkedHashMap<>();
      schema.put("type", "object");
      schema.put("properties", Map.of("decision", decision));
      schema.put("required", List.of("decision"));
      McpSchema.ElicitResult result = exchange.createElicitation(
          McpSchema.ElicitRequest.builder().message(message).requestedSchema(schema).build());
      if (result == null || result.action() == null) {
        return Optional.empty();
      }
      return switch (result.action()) {
        case ACCEPT -> Optional.of(result.content() != null && "approve".equals(result.content().get("decision")));
        case DECLINE -> Optional.of(false);
        case CANCEL -> Optional.empty(); // dismissed without a decision: stays pending (approvable out of band)
      };
    };
  }

  private static McpSchema.CallToolResult toResult(WriteResponse r) {
    var builder = McpSchema.CallToolResult.builder().addTextContent(r.text()).isError(r.isError());
    if (!r.isError()) {
      builder.structuredContent(r.structured());
    }
    return builder.build();
  }
}
