package io.custos.pipeline;

import java.util.List;
import java.util.function.Consumer;

/**
 * One stage of a route, in the shape of OkHttp's {@code Interceptor}: it sees the call and the rest of the chain, so
 * it can refuse (throw {@link ToolCallException}), fill in the exchange and proceed, or wrap the rest (the audit stage
 * writes the intent, proceeds, then writes the result). Routes are composed in {@code io.custos.routes.Routes}.
 */
public interface Stage {
  StageName name();

  /** @throws ToolCallException to refuse or fail the call with a reason */
  ToolOutcome intercept(ToolExchange exchange, Chain next);

  /** The rest of the route after the current stage. */
  @FunctionalInterface
  interface Chain {
    ToolOutcome proceed(ToolExchange exchange);
  }

  /** A named stage from its interception. */
  static Stage of(StageName name, java.util.function.BiFunction<ToolExchange, Chain, ToolOutcome> intercept) {
    return new Stage() {
      @Override
      public StageName name() {
        return name;
      }

      @Override
      public ToolOutcome intercept(ToolExchange exchange, Chain next) {
        return intercept.apply(exchange, next);
      }
    };
  }

  /** A stage that checks or fills in the exchange and then always proceeds. */
  static Stage step(StageName name, Consumer<ToolExchange> step) {
    return of(name, (exchange, next) -> {
      step.accept(exchange);
      return next.proceed(exchange);
    });
  }

  /**
   * A stage that lets the rest of the route run first and then acts on its success (a refusal or failure propagates
   * before {@code after} runs): placed before the audit stage, it acts once the result event is durable.
   */
  static Stage afterSuccess(StageName name, Consumer<ToolExchange> after) {
    return of(name, (exchange, next) -> {
      ToolOutcome outcome = next.proceed(exchange);
      after.accept(exchange);
      return outcome;
    });
  }

  /**
   * Runs {@code stages} in order; the last one's {@code next} returns the exchange's result. Each stage's name is
   * recorded in {@link ToolExchange#passed()} as it is entered.
   */
  static ToolOutcome run(List<Stage> stages, ToolExchange exchange) {
    return new Chain() {
      private int index;

      @Override
      public ToolOutcome proceed(ToolExchange ex) {
        if (index == stages.size()) {
          return ToolOutcome.success(ex);
        }
        Stage stage = stages.get(index++);
        ex.passed.add(stage.name());
        return stage.intercept(ex, this);
      }
    }.proceed(exchange);
  }
}
