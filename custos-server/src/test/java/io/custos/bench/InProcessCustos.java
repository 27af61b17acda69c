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

  /** Starts everything; {@code dir} holds Custos's configuration and data (ledger, keys, TLS certificate). */
  InProcessCustos(Path dir) throws Exception {
    this(dir, "");
  }

  /** As above, with {@code extraSections} (e.g. an {@code sql} section) appended to Custos's configuration. */
  InProcessCustos(Path dir, String extraSections) throws Exception {
    store = EmbeddedFhirStore.builder().dataDirectory(SyntheaFixture.directory())
        .referenceInstant(SyntheaFixture.REFERENCE).port(0).build().start();
    oauth.start(InetAddress.getByName("127.0.0.1"), 0);
    CustosConfig config = CustosConfig.load(BenchMain.writeCustosConfig(dir, store.baseUrl(), oauth, extraSections));
    assembly = new ServerAssembly(config);
    http = assembly.startHttp(false);
    pairs = BenchUsers.pairs(store.repository());
    tokens = BenchUsers.tokens(oauth, pairs);
    mix = new Target.Mix(pairs.stream().map(BenchUsers.Pair::patientId).toList());
    client = new McpBenchClient(McpBenchClient.client(dir.resolve("data/tls/certificate.pem")), http.endpoint());
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
