package io.custos.bench;

import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.McpHttpServer;
import io.custos.phi.SyntheaFixture;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import no.nav.security.mock.oauth2.MockOAuth2Server;

/**
 * Custos in this JVM for the driver's tests: the embedded FHIR store with the Synthea fixture as upstream,
 * mock-oauth2-server as identity provider, Custos in oauth mode over HTTPS (care relationships required, rate
 * limits at their maximum), and one clinician token per fixture patient.
 */
final class InProcessCustos implements AutoCloseable {
  final EmbeddedFhirStore store;
  final MockOAuth2Server oauth = new MockOAuth2Server();
  final List<BenchUsers.Pair> pairs;
  final List<String> tokens;
  final Target.Mix mix;
  final McpBenchClient client;
  private final ServerAssembly assembly;
  private final McpHttpServer http;

  /** Starts everything; {@code dir} holds Custos's data (ledger, keys, TLS certificate). */
  InProcessCustos(Path dir) throws Exception {
    store = EmbeddedFhirStore.builder().dataDirectory(SyntheaFixture.directory())
        .referenceInstant(SyntheaFixture.REFERENCE).port(0).build().start();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    CustosConfig config = new CustosConfig(
        new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), null),
        new CustosConfig.Upstream(store.baseUrl(), 10),
        new CustosConfig.Identity("oauth", oauth.issuerUrl(BenchUsers.ISSUER_ID).toString(),
            oauth.jwksUrl(BenchUsers.ISSUER_ID).toString(), BenchUsers.AUDIENCE, null, null, null, null, null, null, null, null),
        new CustosConfig.Policy(null, true, null, null, 100_000), dir.toString()).withDefaults().validated();
    assembly = new ServerAssembly(config);
    http = assembly.startHttp(false);
    pairs = BenchUsers.pairs(store.repository());
    tokens = BenchUsers.tokens(oauth, pairs);
    mix = new Target.Mix(pairs.stream().map(BenchUsers.Pair::patientId).toList());
    client = new McpBenchClient(McpBenchClient.client(dir.resolve("tls/certificate.pem")), http.endpoint());
  }

  /** {@code get_active_conditions} over one session per fixture patient, each with that patient's clinician. */
  Target.Mcp target() throws Exception {
    return new Target.Mcp("custos", client, Target.Mcp.open(client, tokens), mix, "get_active_conditions");
  }

  @Override
  public void close() {
    http.close();
    assembly.close();
    store.close();
    oauth.shutdown();
  }
}
