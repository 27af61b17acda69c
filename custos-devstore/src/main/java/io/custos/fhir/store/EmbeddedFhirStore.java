package io.custos.fhir.store;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.FhirVersionEnum;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Embedded, in-memory FHIR R4 server: Custos's default upstream for the demo and tests.
 *
 * <p>A HAPI FHIR plain server ({@link RestfulServer}) with the {@link StoreProviders} (read + search, FHIR R4
 * &sect;3.1.0 RESTful API) over an {@link InMemoryRepository}, served by an embedded Jetty 12 (ee10) bound to
 * <b>127.0.0.1 only</b>, at {@code http://127.0.0.1:PORT/fhir}. Data comes from directories of Synthea R4 bundles
 * ({@link SyntheaBundleLoader}), optionally enriched with derived Coverage/Appointment resources
 * ({@link SyntheaEnrichment}). Search results are paged (FHIR R4 &sect;3.1.1.6 paging): default page size 20,
 * maximum 100 ({@code _count} above the maximum is capped), with {@code next}/{@code previous} links served from
 * an in-memory paging cache.
 *
 * <p>Usage:
 * <pre>{@code
 * try (EmbeddedFhirStore store = EmbeddedFhirStore.builder()
 *         .dataDirectory(Path.of("synthea/fhir"))
 *         .port(0)                                   // ephemeral
 *         .referenceInstant(Instant.parse("2025-01-01T00:00:00Z"))
 *         .build()) {
 *   store.start();
 *   String base = store.baseUrl();                  // http://127.0.0.1:PORT/fhir
 * }
 * }</pre>
 *
 * <p>Errors: {@link #start()} throws {@link IllegalStateException} if already started or closed, if the port
 * cannot be bound, or wraps data loading errors ({@link java.io.UncheckedIOException},
 * {@link ca.uhn.fhir.parser.DataFormatException}) raised while loading. {@link #baseUrl()} throws
 * {@link IllegalStateException} before {@code start()}. Logging is PHI-free: resource counts and types only.
 */
public final class EmbeddedFhirStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFhirStore.class);

  /** Loopback only: the embedded store is never reachable from other hosts. */
  public static final String BIND_HOST = "127.0.0.1";
  /** Servlet path of the FHIR base. */
  public static final String CONTEXT_PATH = "/fhir";
  public static final int DEFAULT_PAGE_SIZE = 20;
  public static final int MAX_PAGE_SIZE = 100;

  private final FhirContext fhirContext;
  private final InMemoryRepository repository;
  private final List<Path> dataDirectories;
  private final int port;
  private final boolean enrich;
  private final Instant referenceInstant;
  private final Instant scheduleStart;
  private final int pagingCacheSize;
  private final List<Object> interceptors;

  private Server server;
  private String baseUrl;
  private SyntheaEnrichment.Result enrichmentResult;
  private boolean closed;

  private EmbeddedFhirStore(Builder b) {
    this.fhirContext = b.fhirContext != null ? b.fhirContext : FhirContext.forR4Cached();
    if (fhirContext.getVersion().getVersion() != FhirVersionEnum.R4) {
      throw new IllegalArgumentException("the embedded store requires an R4 FhirContext");
    }
    this.repository = b.repository != null ? b.repository : new InMemoryRepository(fhirContext);
    this.dataDirectories = List.copyOf(b.dataDirectories);
    this.port = b.port;
    this.enrich = b.enrich;
    this.referenceInstant = b.referenceInstant;
    this.scheduleStart = b.scheduleStart;
    this.pagingCacheSize = b.pagingCacheSize;
    this.interceptors = List.copyOf(b.interceptors);
  }

  /** @return a new builder (defaults: no data, port 0, enrichment on, reference instant derived from data) */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads the data directories (hospital/practitioner bundles first within each), runs enrichment if enabled, and
   * starts the HTTP server.
   *
   * @return this
   * @throws IllegalStateException if already started/closed or the server cannot start
   */
  public synchronized EmbeddedFhirStore start() {
    if (server != null || closed) {
      throw new IllegalStateException("store already started or closed");
    }
    SyntheaBundleLoader loader = new SyntheaBundleLoader(repository);
    for (Path dir : dataDirectories) {
      loader.loadDirectory(dir);
    }
    if (enrich) {
      Instant ref = referenceInstant != null ? referenceInstant : SyntheaEnrichment.latestEncounterStart(repository);
      SyntheaEnrichment enrichment = new SyntheaEnrichment(ref);
      enrichmentResult = (scheduleStart == null ? enrichment : enrichment.schedulesFrom(scheduleStart)).enrich(repository);
    }
    Map<String, Integer> counts = repository.countsByType();
    LOG.info("Embedded FHIR store holds {} resources of {} types: {}", repository.size(), counts.size(), counts);

    RestfulServer fhirServlet = new RestfulServer(fhirContext);
    fhirServlet.setResourceProviders(StoreProviders.create(repository));
    FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(pagingCacheSize);
    paging.setDefaultPageSize(DEFAULT_PAGE_SIZE);
    paging.setMaximumPageSize(MAX_PAGE_SIZE);
    fhirServlet.setPagingProvider(paging);
    fhirServlet.setDefaultResponseEncoding(EncodingEnum.JSON);
    fhirServlet.setDefaultPrettyPrint(false);
    interceptors.forEach(fhirServlet::registerInterceptor);

    QueuedThreadPool threads = new QueuedThreadPool(16, 2);
    threads.setName("custos-fhir-store");
    Server jetty = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ServerConnector connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(BIND_HOST);
    connector.setPort(port);
    jetty.addConnector(connector);
    jetty.setHandler(servletContext(fhirServlet));
    try {
      jetty.start();
    } catch (Exception e) {
      try {
        jetty.stop();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IllegalStateException("cannot start embedded FHIR store on " + BIND_HOST + ":" + port, e);
    }
    server = jetty;
    baseUrl = "http://" + BIND_HOST + ":" + connector.getLocalPort() + CONTEXT_PATH;
    // Paging links use this fixed base rather than the request's Host header.
    fhirServlet.setServerAddressStrategy(new HardcodedServerAddressStrategy(baseUrl));
    LOG.info("Embedded FHIR store listening on {}:{}", BIND_HOST, connector.getLocalPort());
    return this;
  }

  /**
   * A Jetty context serving {@code fhirServlet} at {@link #CONTEXT_PATH}, the layout of every FHIR server the tests
   * start.
   */
  public static ServletContextHandler servletContext(RestfulServer fhirServlet) {
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder("fhir", fhirServlet);
    holder.setInitOrder(1);
    context.addServlet(holder, CONTEXT_PATH + "/*");
    return context;
  }

  /**
   * @return the FHIR base URL, {@code http://127.0.0.1:PORT/fhir}
   * @throws IllegalStateException if not started
   */
  public synchronized String baseUrl() {
    if (baseUrl == null) {
      throw new IllegalStateException("store not started");
    }
    return baseUrl;
  }

  /** @return the actual bound port (after start) */
  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("store not started");
    }
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  /** @return the backing repository (live; for tests and future write support) */
  public InMemoryRepository repository() {
    return repository;
  }

  /** @return the FHIR context used */
  public FhirContext fhirContext() {
    return fhirContext;
  }

  /** @return counts of derived resources added at start, or null if enrichment was disabled / not started */
  public synchronized SyntheaEnrichment.Result enrichmentResult() {
    return enrichmentResult;
  }

  /** Stops the HTTP server. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    if (server != null) {
      try {
        server.stop();
      } catch (Exception e) {
        LOG.warn("Error stopping embedded FHIR store: {}", e.getClass().getSimpleName());
      }
      server = null;
      baseUrl = null;
    }
  }

  /** Builder for {@link EmbeddedFhirStore}. */
  public static final class Builder {
    private FhirContext fhirContext;
    private InMemoryRepository repository;
    private final List<Path> dataDirectories = new ArrayList<>();
    private int port = 0;
    private boolean enrich = true;
    private Instant referenceInstant;
    private Instant scheduleStart;
    private int pagingCacheSize = 100;
    private final List<Object> interceptors = new ArrayList<>();

    private Builder() {}

    /** A HAPI server interceptor (e.g. tests observing the requests the store receives). */
    public Builder interceptor(Object interceptor) {
      this.interceptors.add(Objects.requireNonNull(interceptor));
      return this;
    }

    /** R4 context to use (default {@link FhirContext#forR4Cached()}). */
    public Builder fhirContext(FhirContext ctx) {
      this.fhirContext = Objects.requireNonNull(ctx);
      return this;
    }

    /** Pre-populated repository to serve (its context must be R4); data directories are loaded into it too. */
    public Builder repository(InMemoryRepository repo) {
      this.repository = Objects.requireNonNull(repo);
      return this;
    }

    /** Adds a directory of Synthea {@code *.json}/{@code *.json.gz} bundles; directories load in the order added. */
    public Builder dataDirectory(Path dir) {
      this.dataDirectories.add(Objects.requireNonNull(dir));
      return this;
    }

    /** TCP port on 127.0.0.1; 0 (default) picks an ephemeral port. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range");
      }
      this.port = port;
      return this;
    }

    /** Whether to run {@link SyntheaEnrichment} (default true). */
    public Builder enrich(boolean enrich) {
      this.enrich = enrich;
      return this;
    }

    /**
     * Fixed "now" for enrichment. Default: the latest Encounter start in the loaded data
     * ({@link SyntheaEnrichment#latestEncounterStart}), so results never depend on the wall clock.
     */
    public Builder referenceInstant(Instant instant) {
      this.referenceInstant = Objects.requireNonNull(instant);
      return this;
    }

    /**
     * Instant after which enrichment places future appointments and free Slots (default: the reference instant), e.g.
     * the wall clock, so that a live demo can book. See {@link SyntheaEnrichment#schedulesFrom}.
     */
    public Builder scheduleStart(Instant instant) {
      this.scheduleStart = Objects.requireNonNull(instant);
      return this;
    }

    /** Number of search result sets kept for paging (default 100, FIFO eviction). */
    public Builder pagingCacheSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("pagingCacheSize must be >= 1");
      }
      this.pagingCacheSize = size;
      return this;
    }

    /** @return an unstarted store */
    public EmbeddedFhirStore build() {
      return new EmbeddedFhirStore(this);
    }
  }
}
