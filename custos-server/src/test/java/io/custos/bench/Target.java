package io.custos.bench;

import ca.uhn.fhir.context.FhirContext;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.UpstreamRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One system under test. {@link #call(long)} issues request number {@code seq} of the fixed request mix and
 * completes with null on success or a short error category.
 */
interface Target extends AutoCloseable {
  String name();

  CompletableFuture<String> call(long seq);

  @Override
  default void close() {}

  /**
   * The fixed request mix: {@code get_active_conditions} over the fixture patients in a fixed order. Request
   * {@code seq} reads patient {@code mix[seq % mix.length]} on session {@code seq % sessions}.
   */
  record Mix(List<String> patients) {
    String patient(long seq) {
      return patients.get((int) (seq % patients.size()));
    }
  }

  /** MCP over Streamable HTTP (Custos or the bare SDK server): a pool of open sessions used round-robin. */
  final class Mcp implements Target {
    private final String name;
    private final McpBenchClient client;
    private final List<McpBenchClient.Session> sessions;
    private final Mix mix;
    private final String tool;
    private final java.util.function.Function<String, String> arguments;

    /** {@code tool} with the arguments {@code {"patient_id": <patient>}}. */
    Mcp(String name, McpBenchClient client, List<McpBenchClient.Session> sessions, Mix mix, String tool) {
      this(name, client, sessions, mix, tool, patient -> "{\"patient_id\":\"" + patient + "\"}");
    }

    /**
     * @param sessions  session {@code i} belongs to the user caring for patient {@code i} of the mix
     * @param arguments the call's arguments as JSON, from the patient's FHIR id
     */
    Mcp(String name, McpBenchClient client, List<McpBenchClient.Session> sessions, Mix mix, String tool,
        java.util.function.Function<String, String> arguments) {
      this.name = name;
      this.client = client;
      this.sessions = List.copyOf(sessions);
      this.mix = mix;
      this.tool = tool;
      this.arguments = arguments;
    }

    static List<McpBenchClient.Session> open(McpBenchClient client, List<String> tokens) throws Exception {
      List<McpBenchClient.Session> out = new ArrayList<>();
      for (String t : tokens) {
        out.add(openWithRetry(client, t));
      }
      return out;
    }

    /**
     * The server fetches the identity provider's JWKS on the first token it sees (Nimbus's default 500 ms connect
     * and read timeouts); on a loaded machine that first fetch can time out, giving 401 until a refresh. Retries for
     * up to 60 s; the retries are logged.
     */
    static McpBenchClient.Session openWithRetry(McpBenchClient client, String token) throws Exception {
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (true) {
        try {
          return client.open(token);
        } catch (java.io.IOException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          BenchMain.log("session open failed, retrying in 1 s: " + e.getMessage());
          Thread.sleep(1000);
        }
      }
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public CompletableFuture<String> call(long seq) {
      // Sessions and patients are paired by the same index so each user reads only its own patient.
      int i = (int) (seq % sessions.size());
      return client.callTool(sessions.get(i), tool, arguments.apply(mix.patient(i)));
    }

    @Override
    public void close() {
      sessions.forEach(client::close);
    }
  }

  /**
   * The upstream alone, no MCP ({@code upstream} in the results): {@link #run} answers request {@code seq} on a fixed
   * pool of threads, with null on success or a short error category.
   */
  abstract class Upstream implements Target {
    private final ExecutorService threads;

    Upstream(int threads) {
      this.threads = Executors.newFixedThreadPool(threads);
    }

    abstract String run(long seq);

    @Override
    public String name() {
      return "upstream";
    }

    @Override
    public CompletableFuture<String> call(long seq) {
      return CompletableFuture.supplyAsync(() -> run(seq), threads);
    }

    @Override
    public void close() {
      threads.shutdownNow();
    }
  }

  /** Configuration (1): the upstream FHIR search alone, through the same HAPI client, no MCP. */
  final class Fhir extends Upstream {
    private final HapiFhirUpstream upstream;
    private final Mix mix;

    Fhir(String baseUrl, Mix mix, int threads) {
      super(threads);
      FhirContext ctx = FhirContext.forR4();
      ctx.getRestfulClientFactory().setPoolMaxTotal(threads);
      ctx.getRestfulClientFactory().setPoolMaxPerRoute(threads);
      this.upstream = new HapiFhirUpstream(ctx, baseUrl, java.time.Duration.ofSeconds(10), List.of());
      this.mix = mix;
    }

    @Override
    String run(long seq) {
      try {
        upstream.execute(new UpstreamRequest.Search("Condition",
            Map.of("patient", List.of(mix.patient(seq)), "clinical-status", List.of("active")), 20));
        return null;
      } catch (RuntimeException e) {
        return "upstream:" + e.getClass().getSimpleName();
      }
    }
  }
}
