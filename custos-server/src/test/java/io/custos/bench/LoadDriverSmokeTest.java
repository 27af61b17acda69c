package io.custos.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.McpHttpServer;
import io.custos.phi.SyntheaFixture;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Smoke test of the load driver (the real runs are behind {@code scripts/bench.sh}): 50 {@code tools/call}s over
 * Streamable HTTP with real tokens against an in-process Custos in oauth mode, care relationships required, plus
 * the bare SDK tool handler against the same upstream.
 */
class LoadDriverSmokeTest {
  @TempDir
  Path dir;

  @Test
  void fiftyRealCallsThroughTheFullPipelineWithoutErrors() throws Exception {
    MockOAuth2Server oauth = new MockOAuth2Server();
    EmbeddedFhirStore store = EmbeddedFhirStore.builder().dataDirectory(SyntheaFixture.directory())
        .referenceInstant(SyntheaFixture.REFERENCE).port(0).build().start();
    try {
      oauth.start(InetAddress.getByName("127.0.0.1"), 0);
      CustosConfig config = new CustosConfig(
          new CustosConfig.Server("127.0.0.1", 0, "tls13", List.of(), List.of(), null),
          new CustosConfig.Upstream(store.baseUrl(), 10),
          new CustosConfig.Identity("oauth", oauth.issuerUrl(BenchUsers.ISSUER_ID).toString(),
              oauth.jwksUrl(BenchUsers.ISSUER_ID).toString(), BenchUsers.AUDIENCE, null, null, null, null, null, null, null, null),
          new CustosConfig.Policy(null, true, null, null, 100_000), dir.toString()).withDefaults().validated();
      try (ServerAssembly assembly = new ServerAssembly(config); McpHttpServer http = assembly.startHttp(false)) {
        List<BenchUsers.Pair> pairs = BenchUsers.pairs(store.repository());
        assertThat(pairs).hasSize(5);
        List<String> tokens = BenchUsers.tokens(oauth, pairs);
        McpBenchClient client = new McpBenchClient(McpBenchClient.client(dir.resolve("tls/certificate.pem")), http.endpoint());
        List<String> sessionTokens = new ArrayList<>(tokens);
        Target.Mix mix = new Target.Mix(pairs.stream().map(BenchUsers.Pair::patientId).toList());
        try (Target custos = new Target.Mcp("custos", client, Target.Mcp.open(client, sessionTokens), mix, "get_active_conditions")) {
          LoadDriver.Result r = LoadDriver.closed(custos, 4, Duration.ofSeconds(60), 50);
          assertThat(r.errorKinds()).isEmpty();
          assertThat(r.ok()).isEqualTo(50);
          assertThat(r.p99()).isPositive().isLessThanOrEqualTo(r.max());
          LoadDriver.Result open = LoadDriver.open(custos, 100, Duration.ofSeconds(10), 20, 64);
          assertThat(open.ok()).isEqualTo(20);
          assertThat(open.errors()).isZero();
        }
        try (Target upstream = new Target.Fhir(store.baseUrl(), mix, 4)) {
          assertThat(LoadDriver.closed(upstream, 2, Duration.ofSeconds(30), 10).ok()).isEqualTo(10);
        }
        var bare = BareSdkServer.conditions(new io.custos.fhir.HapiFhirUpstream(ca.uhn.fhir.context.FhirContext.forR4Cached(),
            store.baseUrl(), Duration.ofSeconds(10), List.of()), ca.uhn.fhir.context.FhirContext.forR4Cached().newJsonParser(),
            java.util.Map.of("patient_id", mix.patient(0)));
        assertThat(bare.isError()).isFalse();
        assertThat(bare.content().toString()).contains("\"resourceType\":\"Condition\"");
      }
    } finally {
      store.close();
      oauth.shutdown();
    }
  }
}
