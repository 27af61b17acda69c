package io.custos.mcp;

import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import io.custos.writes.WriteStages;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Approval of a proposed write by MCP elicitation (spec 2025-11-25, "Elicitation", form mode): the user of the
 * client sees the preview and the payload SHA-256 and approves or rejects. The answer is a governed
 * {@value WriteStages#APPROVE} call of its own, and an approval is followed by a governed commit.
 */
public final class ElicitedApproval {
  private ElicitedApproval() {}

  /** Asks the client's user, when the client declared form-mode elicitation; empty answer: no decision. */
  static Optional<Function<String, Optional<Boolean>>> asker(McpSyncServerExchange exchange) {
    var caps = exchange.getClientCapabilities();
    var elicitation = caps == null ? null : caps.elicitation();
    if (elicitation == null || (elicitation.form() == null && elicitation.url() != null)) {
      return Optional.empty();
    }
    return Optional.of(message -> ask(exchange, message));
  }

  /**
   * Puts {@code proposal} (a pending proposal from {@code proposeCall}) to the user with {@code ask}. No answer (error,
   * timeout, dismissed) leaves it pending, approvable out of band; otherwise returns the decision's or the commit's
   * outcome.
   */
  public static ToolOutcome decide(GovernancePipeline pipeline, ToolCall proposeCall, ToolOutcome proposal,
      Function<String, Optional<Boolean>> ask) {
    Optional<Boolean> approved;
    try {
      approved = ask.apply(WriteStages.elicitationMessage(proposal.structured()));
    } catch (RuntimeException e) {
      approved = Optional.empty();
    }
    if (approved.isEmpty()) {
      return proposal;
    }
    String id = String.valueOf(proposal.structured().get("proposal_id"));
    Map<String, Object> decision = Map.of("proposal_id", id, "decision", approved.get() ? "approve" : "reject",
        "payload_sha256", String.valueOf(proposal.structured().get("payload_sha256")));
    ToolOutcome decided = pipeline.handle(Declaration.Kind.OPERATION,
        proposeCall.next(WriteStages.APPROVE, decision, ToolCall.Channel.ELICITATION));
    if (decided.isError()) {
      return decided;
    }
    if (!approved.get()) {
      return rejected(proposal);
    }
    Map<String, Object> commit = new LinkedHashMap<>(proposeCall.arguments());
    commit.put("proposal_id", id);
    return pipeline.handle(proposeCall.next(proposeCall.name(), commit, ToolCall.Channel.MCP));
  }

  /** The write tool's result for a proposal the user rejected in the dialog (the tool's output schema). */
  private static ToolOutcome rejected(ToolOutcome proposal) {
    Map<String, Object> out = new LinkedHashMap<>(proposal.structured());
    out.put("status", "rejected");
    out.remove("approval");
    out.put("message", "The user rejected this write in the approval dialog; nothing was written.");
    return ToolOutcome.of(out);
  }

  /** The form put to the user: one required choice, approve or reject (a flat schema, as form elicitation requires). */
  public static Map<String, Object> decisionSchema() {
    Map<String, Object> decision = new LinkedHashMap<>();
    decision.put("type", "string");
    decision.put("title", "Decision");
    decision.put("description", "approve writes exactly the payload shown; reject writes nothing");
    decision.put("enum", List.of("approve", "reject"));
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("type", "object");
    schema.put("properties", Map.of("decision", decision));
    schema.put("required", List.of("decision"));
    return schema;
  }

  private static Optional<Boolean> ask(McpSyncServerExchange exchange, String message) {
    McpSchema.ElicitResult result =
        exchange.createElicitation(McpSchema.ElicitRequest.builder().message(message).requestedSchema(decisionSchema()).build());
    if (result == null || result.action() == null) {
      return Optional.empty();
    }
    return switch (result.action()) {
      case ACCEPT -> Optional.of(result.content() != null && "approve".equals(result.content().get("decision")));
      case DECLINE -> Optional.of(false);
      case CANCEL -> Optional.empty();
    };
  }
}
