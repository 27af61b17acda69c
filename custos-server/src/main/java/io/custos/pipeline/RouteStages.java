package io.custos.pipeline;

import io.custos.tools.Route;
import java.util.List;

/**
 * One route's stages: the {@code gate} (authenticate, rate limit, authorize: no upstream I/O, decidable before the
 * protocol layer runs) and the {@code body} (audit intent onwards). Composed in {@code io.custos.routes.Routes}.
 */
public record RouteStages(Route route, List<Stage> gate, List<Stage> body) {
  public RouteStages {
    gate = List.copyOf(gate);
    body = List.copyOf(body);
  }
}
