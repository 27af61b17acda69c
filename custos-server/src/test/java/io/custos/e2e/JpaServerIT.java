package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.FhirUpstream;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.SearchMethod;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamAuth;
import io.custos.fhir.UpstreamRequest;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.HttpTestSupport;
import io.custos.mcp.http.McpHttpServer;
import io.custos.policy.FhirCareRelationship;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Custos in front of the HAPI FHIR JPA server, the reference FHIR server, loaded with the same fixture as the
 * embedded store: the official TypeScript SDK client calls every read tool and cross-checks each answer against
 * FHIR searches made directly on the JPA server (paging included), once through an upstream that takes search by
 * POST and once through one that answers 405 to it (Custos falls back to GET); the same client proposes, approves
 * and commits every write tool and reads the writes back from the JPA server ({@link WriteCheck}); care
 * relationships, paging and the search methods are compared between the two servers from Java.
 *
 * <p>Runs in every {@code ./mvnw verify} ({@code -Pno-jpa-upstream} leaves it out). The JPA server's log is kept in
 * {@code target/e2e-logs/jpa-server.log}.
 */
class JpaServerIT {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  /** Today: the derived Slots and appointments lie in the future, as the write tools need. */
  private static final Instant REFERENCE = Instant.now().truncatedTo(ChronoUnit.DAYS);

  private static JpaFhirServer jpa;
  private static EmbeddedFhirStore embedded;
  private static ServerAssembly app;
  private static ServerAssembly getOnlyApp;
  private static McpHttpServer http;
  private static McpHttpServer getOnlyHttp;
  private static Path work;

  @BeforeAll
  static void start() throws Exception {
    work = Files.createTempDirectory("custos-jpa-e2e");
    jpa = JpaFhirServer.start(HttpTestSupport.fixtureDir(), REFERENCE);
    System.out.printf("HAPI FHIR JPA server started and loaded in %d s%n", jpa.startup().toSeconds());
    embedded = EmbeddedFhirStore.builder().dataDirectory(HttpTestSupport.fixtureDir()).port(0)
        .referenceInstant(REFERENCE).build().start();
    app = new ServerAssembly(CustosConfig.load(writeConfig("post", jpa.baseUrl())));
    http = app.startHttp(false);
    getOnlyApp = new ServerAssembly(CustosConfig.load(writeConfig("get-only", jpa.getOnlyBaseUrl())));
    getOnlyHttp = getOnlyApp.startHttp(false);
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {http, app, getOnlyHttp, getOnlyApp, embedded, jpa}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // shutting down
      }
    }
  }

  private static Path writeConfig(String name, String upstream) throws Exception {
    Path file = work.resolve(name + ".yaml");
    Files.writeString(file, """
        server: {host: 127.0.0.1, port: 0, tls: plain}
        upstream: {baseUrl: "%s"}
        identity: {mode: development}
        # The client sweeps every fixture patient; care relationships are compared from Java below.
        policy: {requireCareRelationship: false}
        dataDir: "%s"
        """.formatted(upstream, work.resolve(name + "-data")));
    return file;
  }

  private static int clientCheck(McpHttpServer server, String logName, int maxPatients) throws Exception {
    ProcessBuilder pb = ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/client-check.mjs", "--transport", "http");
    Map<String, String> env = pb.environment();
    env.put("CUSTOS_ENDPOINT", server.endpoint().toString());
    env.put("FHIR_BASE", jpa.baseUrl());
    env.put("CUSTOS_PATIENTS", new ObjectMapper().writeValueAsString(HttpTestSupport.fixturePatientIds()));
    env.put("CUSTOS_MAX_PATIENTS", Integer.toString(maxPatients));
    return ClientScript.run(pb, logName, Duration.ofMinutes(9));
  }

  @Test
  void typescriptSdkClientCallsEveryToolAndMatchesTheJpaServer() throws Exception {
    assertThat(clientCheck(http, "jpa-client-http", 5)).as("checks run").isGreaterThan(60);
  }

  @Test
  void anUpstreamThatRefusesPostSearchIsSearchedByGet() throws Exception {
    assertThat(clientCheck(getOnlyHttp, "jpa-get-only-client-http", 2)).as("checks run").isGreaterThan(30);
  }

  @Test
  void writeToolsProposeApproveCommitAndReadBackFromTheJpaServer() throws Exception {
    try (WriteCheck writes = new WriteCheck(jpa.baseUrl(), embedded.repository())) {
      assertThat(writes.run("jpa-write-check")).as("checks run").isGreaterThanOrEqualTo(33);
    }
  }

  @Test
  void getAndPostSearchAnswerAlikeAndA405SwitchesToGet() {
    var post = new HapiFhirUpstream(FHIR, jpa.baseUrl(), Duration.ofSeconds(30), List.of(), UpstreamAuth.none(),
        SearchMethod.POST);
    var get = new HapiFhirUpstream(FHIR, jpa.baseUrl(), Duration.ofSeconds(30), List.of(), UpstreamAuth.none(),
        SearchMethod.GET);
    var refused = new HapiFhirUpstream(FHIR, jpa.getOnlyBaseUrl(), Duration.ofSeconds(30), List.of(), UpstreamAuth.none(),
        SearchMethod.POST);
    for (String patient : patients()) {
      var search = new UpstreamRequest.Search("Observation", Map.of("patient", List.of(patient),
          "category", List.of("vital-signs")), 100);
      assertThat(ids(get, search)).as(patient).isEqualTo(ids(post, search)).isEqualTo(ids(refused, search));
    }
    assertThat(post.searchMethod()).isEqualTo(SearchMethod.POST);
    assertThat(refused.searchMethod()).isEqualTo(SearchMethod.GET);
  }

  @Test
  void pagingFollowsTheJpaServersNextLinksToTheSameResultsAsTheEmbeddedStore() {
    FhirUpstream reference = upstream(jpa.baseUrl());
    FhirUpstream store = upstream(embedded.baseUrl());
    for (String patient : patients()) {
      var search = new UpstreamRequest.Search("Observation", Map.of("patient", List.of(patient)), 7);
      List<String> viaJpa = ids(reference, search);
      assertThat(viaJpa).as("more than one page for %s", patient).hasSizeGreaterThan(7).doesNotHaveDuplicates();
      assertThat(new LinkedHashSet<>(viaJpa)).as(patient).isEqualTo(new LinkedHashSet<>(ids(store, search)));
    }
  }

  @Test
  void careRelationshipsAreTheSameOnBothServers() {
    FhirCareRelationship reference = new FhirCareRelationship(upstream(jpa.baseUrl()), Clock.systemUTC(), Duration.ZERO);
    FhirCareRelationship store = new FhirCareRelationship(upstream(embedded.baseUrl()), Clock.systemUTC(), Duration.ZERO);
    Map<Boolean, Integer> tally = new HashMap<>();
    for (IBaseResource practitioner : embedded.repository().all("Practitioner")) {
      String id = practitioner.getIdElement().getIdPart();
      Caller caller = new Caller("clinician-" + id, "agent-app", Optional.of("Practitioner/" + id), Set.of("clinician"),
          Set.of("user/*.rs"), Optional.empty(), true, "h", Instant.now().plusSeconds(600));
      for (String patient : patients()) {
        boolean expected = store.exists(caller, patient);
        assertThat(reference.exists(caller, patient)).as("Practitioner/%s - Patient/%s", id, patient).isEqualTo(expected);
        tally.merge(expected, 1, Integer::sum);
      }
    }
    assertThat(tally).as("some pairs with and some without a relationship").containsKeys(true, false);
  }

  private static FhirUpstream upstream(String baseUrl) {
    return new HapiFhirUpstream(FHIR, baseUrl, Duration.ofSeconds(30), List.of());
  }

  private static List<String> patients() {
    return embedded.repository().all("Patient").stream().map(p -> p.getIdElement().getIdPart()).toList();
  }

  /** Every id the search finds, following next links. */
  private static List<String> ids(FhirUpstream upstream, UpstreamRequest.Search search) {
    List<String> ids = new ArrayList<>();
    SearchPage page = upstream.execute(search);
    for (int pages = 0; pages < 100; pages++) {
      page.resources().stream().map(Resource::getIdElement).map(i -> i.getIdPart()).forEach(ids::add);
      if (page.nextLink().isEmpty()) {
        break;
      }
      page = upstream.nextPage(page.nextLink().get());
    }
    return ids;
  }
}
