package io.custos.pipeline;

/**
 * One step of the governance pipeline (SPEC.md "The pipeline"). A stage reads and fills in the
 * {@link ToolExchange}, or refuses the call by throwing {@link ToolCallException}. Stages are composed,
 * in order, in exactly one place: {@link GovernancePipeline}.
 */
@FunctionalInterface
public interface Stage {
  /** @throws ToolCallException to stop the call with a reason */
  void apply(ToolExchange exchange);
}
