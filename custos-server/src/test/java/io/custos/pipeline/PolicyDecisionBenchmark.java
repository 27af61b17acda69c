package io.custos.pipeline;

import io.custos.auth.Caller;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.policy.AccessControl;
import io.custos.policy.BreakGlass;
import io.custos.policy.FhirCareRelationship;
import io.custos.policy.RolePolicy;
import io.custos.policy.ScopeCheck;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.hl7.fhir.r4.model.Encounter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The policy decision of one tools/call: the {@link Authorize} stage with the production {@link AccessControl}
 * (default {@link RolePolicy}, {@link ScopeCheck} on {@code user/*.rs}, MFA, patient binding and the
 * care-relationship check through {@link FhirCareRelationship}, whose 5-minute cache is warm, as it is in steady
 * state: the upstream stub is called once, in set-up).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyDecisionBenchmark {
  private Authorize authorize;
  private ToolExchange exchange;
  private Caller caller;
  private ToolSpec spec;

  @Setup
  public void setUp() {
    ToolCatalog catalog = ToolCatalog.readTools();
    Set<String> names = catalog.tools().stream().map(ToolSpec::name).collect(Collectors.toSet());
    FhirUpstream upstream = new FhirUpstream() {
      @Override
      public SearchPage execute(UpstreamRequest request) {
        return new SearchPage(List.of(new Encounter()), Optional.empty());
      }

      @Override
      public SearchPage nextPage(String nextLink) {
        throw new UnsupportedOperationException();
      }

      @Override
      public String baseUrl() {
        return "http://stub";
      }
    };
    Clock clock = Clock.systemUTC();
    AccessControl access = new AccessControl(RolePolicy.of(null, names), new ScopeCheck(Set.of()),
        new FhirCareRelationship(upstream, clock, Duration.ofMinutes(5)), true, true,
        new BreakGlass(clock, Duration.ofMinutes(60), io.custos.state.InProcessStateStore.builder().clock(clock).build().grants()), Set.of("clinician", "nurse"));
    authorize = new Authorize(access, clock);
    spec = catalog.find("get_active_conditions").orElseThrow();
    caller = new Caller("dr-alice", "agent", Optional.of("Practitioner/p1"), Set.of("clinician"),
        Set.of("openid", "fhirUser", "user/*.rs"), Optional.empty(), true, "tokhash", Instant.now().plusSeconds(7200));
    exchange = new ToolExchange(new ToolCall("get_active_conditions", Map.of("patient_id", "pat-1"), Optional.of(caller),
        "session-1", "127.0.0.1"));
    decide(); // warms the care-relationship cache
  }

  @Benchmark
  public String decide() {
    exchange.caller = caller;
    exchange.declaration = spec;
    exchange.patientId = null;
    exchange.scope = null;
    authorize.intercept(exchange, e -> null);
    return exchange.scope;
  }
}
