package io.custos.pipeline;

/**
 * The decision of a route's gate stages (authenticate, rate limit, authorize) made before the protocol layer runs,
 * so HTTP can render a refusal as 401, 403 or 429 with its headers. The pipeline continues an admitted call where
 * the gate stopped and returns a refused call's outcome without deciding again.
 */
public sealed interface Admission {
  /** Name of the call the decision is about; a decision for another call is ignored. */
  String name();

  /** The gate passed; {@code exchange} continues with the body stages. */
  record Admitted(String name, ToolExchange exchange) implements Admission {}

  /** The gate refused (already audited). */
  record Refused(String name, ToolOutcome outcome) implements Admission {}
}
