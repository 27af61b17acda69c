package io.custos.fhir.jpa;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import io.custos.fhir.store.DevStore;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.fhir.store.RefusePostSearch;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * TESTS ONLY: the HAPI FHIR JPA server (FHIR R4, in-memory H2) on 127.0.0.1, loaded through its own transaction
 * endpoint with the same resources as the development store ({@link EmbeddedFhirStore}: the Synthea bundles plus
 * the derived Coverage, Appointment, Schedule and Slot resources), ids kept.
 *
 * <p>Arguments: those of {@link DevStore} ({@code --data DIR [--reference ISO-8601] [--schedule-start
 * ISO-8601|now] [--port P]}). Standard output gets one line, {@code {"base_url":"http://127.0.0.1:PORT/fhir",
 * "get_only_base_url":"http://127.0.0.1:PORT/fhir-get-only"}}, once the fixture is loaded; then it runs until
 * killed.
 */
public final class JpaStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JpaStore.class);
  /** Resources per transaction Bundle while loading. */
  private static final int TRANSACTION_SIZE = 500;
  /** Context path of the endpoint that refuses search by POST. */
  public static final String GET_ONLY_PATH = "/fhir-get-only";

  private final AnnotationConfigApplicationContext spring;
  private final Server jetty;
  /** {@code http://127.0.0.1:PORT} */
  private final String root;

  private JpaStore(AnnotationConfigApplicationContext spring, Server jetty, String root) {
    this.spring = spring;
    this.jetty = jetty;
    this.root = root;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = DevStore.options(args);
    long started = System.nanoTime();
    // The development store derives the fixture; it is started only to read its resources back.
    InMemoryRepository fixture;
    try (EmbeddedFhirStore dev = DevStore.builder(opts).port(0).build().start()) {
      fixture = dev.repository();
    }
    JpaStore store = start(Integer.parseInt(opts.getOrDefault("--port", "0")));
    Runtime.getRuntime().addShutdownHook(new Thread(store::close));
    LOG.info("HAPI FHIR JPA server serving after {} ms", (System.nanoTime() - started) / 1_000_000);
    store.load(fixture);
    LOG.info("HAPI FHIR JPA server ready in {} ms", (System.nanoTime() - started) / 1_000_000);
    System.out.println("{\"base_url\":\"" + store.baseUrl() + "\",\"get_only_base_url\":\"" + store.getOnlyBaseUrl()
        + "\"}");
    System.out.flush();
    Thread.currentThread().join();
  }

  /**
   * Starts the JPA server on 127.0.0.1 with two FHIR endpoints over the same database: {@code /fhir}, and
   * {@code /fhir-get-only}, which answers 405 to search by POST ({@link RefusePostSearch}).
   *
   * @param port the port, 0 for any free one
   * @throws Exception if Spring or Jetty cannot start
   */
  public static JpaStore start(int port) throws Exception {
    AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext(JpaServerConfig.class);
    RestfulServer fhir = restfulServer(spring);
    RestfulServer getOnly = restfulServer(spring);
    getOnly.registerInterceptor(new RefusePostSearch());
    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty, 1, 1);
    connector.setHost(EmbeddedFhirStore.BIND_HOST);
    connector.setPort(port);
    jetty.addConnector(connector);
    ServletContextHandler context = EmbeddedFhirStore.servletContext(fhir);
    context.addServlet(new ServletHolder("fhir-get-only", getOnly), GET_ONLY_PATH + "/*");
    jetty.setHandler(context);
    jetty.start();
    String root = "http://" + EmbeddedFhirStore.BIND_HOST + ":" + connector.getLocalPort();
    fhir.setServerAddressStrategy(new HardcodedServerAddressStrategy(root + EmbeddedFhirStore.CONTEXT_PATH));
    getOnly.setServerAddressStrategy(new HardcodedServerAddressStrategy(root + GET_ONLY_PATH));
    return new JpaStore(spring, jetty, root);
  }

  /** A FHIR endpoint over the JPA server's resource providers, system provider and paging. */
  private static RestfulServer restfulServer(AnnotationConfigApplicationContext spring) {
    IFhirSystemDao<?, ?> systemDao = spring.getBean(IFhirSystemDao.class);
    RestfulServer fhir = new RestfulServer(systemDao.getContext());
    fhir.registerProviders(spring.getBean("myResourceProvidersR4", ResourceProviderFactory.class).createProviders());
    fhir.registerProvider(spring.getBean(JpaSystemProvider.class));
    fhir.setServerConformanceProvider(new JpaCapabilityStatementProvider(fhir, systemDao,
        spring.getBean(JpaStorageSettings.class), spring.getBean(ISearchParamRegistry.class),
        spring.getBean(IValidationSupport.class)));
    fhir.setPagingProvider(spring.getBean(DatabaseBackedPagingProvider.class));
    fhir.setDefaultResponseEncoding(EncodingEnum.JSON);
    return fhir;
  }

  /**
   * Writes every resource of {@code repository} through {@code POST [base]} transaction Bundles of {@code PUT
   * [type]/[id]} entries.
   *
   * @throws IOException if a transaction is refused (status only)
   */
  public void load(InMemoryRepository repository) throws IOException, InterruptedException {
    List<Resource> all = new ArrayList<>();
    for (String type : repository.types()) {
      for (IBaseResource r : repository.all(type)) {
        all.add((Resource) r);
      }
    }
    FhirContext ctx = repository.fhirContext();
    try (HttpClient http = HttpClient.newHttpClient()) {
      for (int from = 0; from < all.size(); from += TRANSACTION_SIZE) {
        Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        for (Resource r : all.subList(from, Math.min(all.size(), from + TRANSACTION_SIZE))) {
          String ref = r.fhirType() + "/" + r.getIdElement().getIdPart();
          tx.addEntry().setFullUrl(ref).setResource(r).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl(ref);
        }
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(baseUrl()))
            .header("Content-Type", "application/fhir+json")
            .POST(HttpRequest.BodyPublishers.ofString(ctx.newJsonParser().encodeResourceToString(tx))).build(),
            HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
          // The OperationOutcome may quote resource content: it stays in the server's own log.
          throw new IOException("fixture transaction refused: HTTP " + res.statusCode());
        }
      }
    }
    LOG.info("HAPI FHIR JPA server loaded {} resources", all.size());
  }

  /** @return the FHIR base URL, {@code http://127.0.0.1:PORT/fhir} */
  public String baseUrl() {
    return root + EmbeddedFhirStore.CONTEXT_PATH;
  }

  /** @return the base URL of the endpoint that refuses search by POST, {@code http://127.0.0.1:PORT/fhir-get-only} */
  public String getOnlyBaseUrl() {
    return root + GET_ONLY_PATH;
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      LOG.warn("HAPI FHIR JPA server: Jetty did not stop cleanly", e);
    }
    spring.close();
  }
}
