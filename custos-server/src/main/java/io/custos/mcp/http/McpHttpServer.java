package io.custos.mcp.http;

import io.custos.auth.Authenticator;
import io.custos.auth.CallerContext;
import io.custos.mcp.EnvelopeFront;
import io.custos.mcp.v2026.Envelope;
import io.custos.state.InProcessStateStore;
import io.custos.state.SessionBindings;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.util.function.Function;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import io.custos.pipeline.GovernancePipeline;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * MCP Streamable HTTP at {@code /mcp} on Jetty 12 (ee10), over TLS 1.3 by default (HIPAA 164.312(e)).
 * The filter chain in {@link #start} closes the MCP Java SDK 2.1.0 transport gaps, in this order: request limits, Host/Origin, protocol version, authentication
 * (every request), the MCP 2026-07-28 front (a request of that revision is answered there and goes no further), session binding and idle logoff, JSON-RPC message checks (envelope, known methods, params
 * types), tools/call gate (the pipeline's scope / MFA step-up / rate-limit decision, rendered as 401/403/429), error sanitising (error statuses and JSON-RPC
 * errors), SDK servlet. {@code /readyz} reports the {@link Readiness} checks, {@code /healthz} liveness only.
 */
public final class McpHttpServer implements AutoCloseable {

  /** Transport security of the listener. */
  public enum TlsMode {
    /** TLS 1.3 only (default). */
    TLS13,
    /** TLS 1.3 and 1.2 (by explicit flag, for older clients). */
    TLS12,
    /** No TLS: refused for any address that is not loopback. */
    PLAIN
  }

  /**
   * @param host            bind address (e.g. 127.0.0.1)
   * @param port            port, 0 for ephemeral
   * @param tls             transport security
   * @param certificate     keystore for TLS modes (ignored for PLAIN)
   * @param allowedOrigins  Origin header values accepted (browser-based clients)
   * @param extraHosts      Host header values accepted in addition to the bind address and loopback names
   * @param maxRequestBytes request body bound
   */
  public record Settings(String host, int port, TlsMode tls, SelfSignedCertificate certificate, Set<String> allowedOrigins,
      Set<String> extraHosts, int maxRequestBytes) {}

  /**
   * RFC 9728 protected resource metadata.
   *
   * @param resource             canonical resource URI (RFC 8707), the {@code aud} tokens must carry
   * @param authorizationServers issuer URLs
   * @param scopesSupported      scopes a client should request
   */
  public record ResourceMetadata(String resource, List<String> authorizationServers, List<String> scopesSupported) {}

  /**
   * Per-request security of {@code /mcp}.
   *
   * @param authenticator validates the credential on every request
   * @param pipeline      the governed path: decides tools/call gates before the MCP layer (rendered as 401/403/429) and
   *                      audits failed authentications; empty for test fixtures without one
   * @param metadata      protected resource metadata served under {@code /.well-known}
   * @param idleTimeout   automatic logoff of idle sessions
   * @param envelopes     the MCP 2026-07-28 front beside the SDK's 2025-11-25 one; empty: 2025-11-25 only
   * @param sessions      where 2025-11-25 session bindings and their last activity are kept (the server's state store)
   */
  public record Security(Authenticator authenticator, Optional<GovernancePipeline> pipeline, ResourceMetadata metadata,
      Duration idleTimeout, Optional<EnvelopeFront> envelopes, SessionBindings sessions) {
    /** Session bindings in this process only (a single server). */
    public Security(Authenticator authenticator, Optional<GovernancePipeline> pipeline, ResourceMetadata metadata,
        Duration idleTimeout, Optional<EnvelopeFront> envelopes) {
      this(authenticator, pipeline, metadata, idleTimeout, envelopes, InProcessStateStore.create().sessions());
    }

    /** 2025-11-25 only (test fixtures). */
    public Security(Authenticator authenticator, Optional<GovernancePipeline> pipeline, ResourceMetadata metadata,
        Duration idleTimeout) {
      this(authenticator, pipeline, metadata, idleTimeout, Optional.empty());
    }
  }

  /**
   * Connector idle timeout: a connection that sends nothing for this long (slowloris headers, a stalled body,
   * an idle keep-alive) is closed. Explicit rather than Jetty's default so it cannot drift with upgrades.
   */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** System property (milliseconds) overriding {@link #IDLE_TIMEOUT}; for tests of slow clients. */
  public static final String IDLE_TIMEOUT_PROPERTY = "custos.http.idleTimeoutMillis";

  private final Server server;
  private final ServerConnector connector;
  private final HttpServletStreamableServerTransportProvider transport;
  private final McpSyncServer mcp;
  private final Settings settings;
  private final DrainFilter drain = new DrainFilter();

  /**
   * Builds and starts the server. {@code mcpServer} builds the MCP server on the given transport (Custos's
   * {@code CustosMcpServer::start}; tests mount a conformance fixture on the very same stack).
   *
   * @throws IOException              if the port cannot be bound or the keystore read
   * @throws IllegalArgumentException if PLAIN is requested for a non-loopback address
   */
  public static McpHttpServer start(Settings settings, Function<McpStreamableServerTransportProvider, McpSyncServer> mcpServer,
      McpJsonMapper jsonMapper, Security security, Readiness ready) throws IOException {
    return new McpHttpServer(settings, mcpServer, jsonMapper, security, ready, Map.of());
  }

  /**
   * As above, with extra servlets by path spec (the write approval endpoint {@code /approvals/*}). They sit
   * behind the request-limit and Host/Origin filters and do their own authentication.
   */
  public static McpHttpServer start(Settings settings, Function<McpStreamableServerTransportProvider, McpSyncServer> mcpServer,
      McpJsonMapper jsonMapper, Security security, Readiness ready, Map<String, jakarta.servlet.Servlet> extraServlets)
      throws IOException {
    return new McpHttpServer(settings, mcpServer, jsonMapper, security, ready, extraServlets);
  }

  /** Without HTTP-level preflight and with a 15-minute idle limit (test fixtures such as the conformance server). */
  public static McpHttpServer start(Settings settings, Function<McpStreamableServerTransportProvider, McpSyncServer> mcpServer,
      McpJsonMapper jsonMapper, Authenticator authenticator, Readiness ready) throws IOException {
    return start(settings, mcpServer, jsonMapper, new Security(authenticator, Optional.empty(),
        new ResourceMetadata("", List.of(), List.of()), Duration.ofMinutes(15)), ready);
  }

  private McpHttpServer(Settings settings, Function<McpStreamableServerTransportProvider, McpSyncServer> mcpServer,
      McpJsonMapper jsonMapper, Security security, Readiness ready, Map<String, jakarta.servlet.Servlet> extraServlets)
      throws IOException {
    this.settings = settings;
    if (settings.tls() == TlsMode.PLAIN && !InetAddress.getByName(settings.host()).isLoopbackAddress()) {
      throw new IllegalArgumentException("plain HTTP is allowed only on a loopback address");
    }
    this.server = new Server();
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    if (settings.tls() == TlsMode.PLAIN) {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    } else {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // Host is checked by OriginHostFilter against an explicit allowlist
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      SelfSignedCertificate.InMemoryKeyStore keys = settings.certificate().load();
      ssl.setKeyStore(keys.store());
      ssl.setKeyStorePassword(new String(keys.password()));
      ssl.setIncludeProtocols(settings.tls() == TlsMode.TLS13 ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"});
      connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
    }
    connector.setIdleTimeout(Long.getLong(IDLE_TIMEOUT_PROPERTY, IDLE_TIMEOUT.toMillis()));
    connector.setHost(settings.host());
    connector.setPort(settings.port());
    server.addConnector(connector);

    this.transport = HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(jsonMapper)
        .mcpEndpoint("/mcp")
        .maxRequestSize(settings.maxRequestBytes())
        .contextExtractor(req -> {
          Map<String, Object> ctx = new HashMap<>();
          Object caller = req.getAttribute(CallerContext.CALLER);
          if (caller != null) {
            ctx.put(CallerContext.CALLER, caller);
          }
          ctx.put(CallerContext.SOURCE_ADDRESS, req.getRemoteAddr());
          Object admission = req.getAttribute(CallerContext.ADMISSION);
          if (admission != null) {
            ctx.put(CallerContext.ADMISSION, admission);
          }
          return McpTransportContext.create(ctx);
        })
        .build();
    this.mcp = mcpServer.apply(transport);

    ServletContextHandler context = new ServletContextHandler("/");
    ErrorHandler errors = new JsonRpcErrorHandler();
    errors.setShowStacks(false);
    errors.setShowMessageInTitle(false);
    context.setErrorHandler(errors);
    server.setErrorHandler(errors);
    ServletHolder mcpHolder = new ServletHolder("mcp", transport);
    mcpHolder.setAsyncSupported(true);
    context.addServlet(mcpHolder, "/mcp");
    context.addServlet(new ServletHolder(new HealthServlet(Readiness.none())), "/healthz");
    context.addServlet(new ServletHolder(new HealthServlet(ready, drain::accepting)), "/readyz");
    ServletHolder metadata = new ServletHolder(new ProtectedResourceMetadataServlet(security.metadata()));
    context.addServlet(metadata, "/.well-known/oauth-protected-resource/mcp");
    context.addServlet(metadata, "/.well-known/oauth-protected-resource");
    extraServlets.forEach((pathSpec, servlet) -> context.addServlet(new ServletHolder(servlet), pathSpec));
    addFilter(context, new RequestLimitFilter(settings.maxRequestBytes()), "/*");
    addFilter(context, drain, "/mcp");
    extraServlets.keySet().forEach(pathSpec -> addFilter(context, drain, pathSpec));
    addFilter(context, new OriginHostFilter(allowedHosts(settings), settings.allowedOrigins(),
        InetAddress.getByName(settings.host()).isLoopbackAddress()), "/*");
    Set<String> versions = new HashSet<>(transport.protocolVersions());
    security.envelopes().ifPresent(f -> versions.add(Envelope.VERSION));
    addFilter(context, new ProtocolVersionFilter(versions), "/mcp");
    addFilter(context, new AuthenticationFilter(security.authenticator(), String.join(" ", security.metadata().scopesSupported()),
        security.pipeline()), "/mcp");
    if (security.envelopes().isPresent() && security.pipeline().isPresent()) {
      addFilter(context, new EnvelopeFilter(security.envelopes().get(), new HashSet<>(transport.protocolVersions()),
          security.pipeline().get()), "/mcp");
    }
    addFilter(context, new SessionGuardFilter(security.idleTimeout(), security.sessions()), "/mcp");
    addFilter(context, new InboundMessageFilter(), "/mcp");
    security.pipeline().ifPresent(p -> addFilter(context, new GateFilter(p), "/mcp"));
    addFilter(context, new ErrorBodyFilter(), "/mcp");
    server.setHandler(context);
    try {
      server.start();
    } catch (Exception e) {
      close();
      throw new IOException("HTTP server could not start on " + settings.host() + ":" + settings.port(), e);
    }
  }

  private static void addFilter(ServletContextHandler context, Filter filter, String path) {
    FilterHolder holder = new FilterHolder(filter);
    holder.setAsyncSupported(true);
    context.addFilter(holder, path, EnumSet.of(DispatcherType.REQUEST));
  }

  private static Set<String> allowedHosts(Settings s) {
    Set<String> hosts = new HashSet<>();
    for (String h : new String[] {s.host(), "localhost", "127.0.0.1", "[::1]"}) {
      hosts.add(h.toLowerCase(java.util.Locale.ROOT));
    }
    hosts.addAll(s.extraHosts());
    return hosts;
  }

  /** The actual bound port. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The MCP endpoint URL, e.g. {@code https://127.0.0.1:8443/mcp}. */
  public URI endpoint() {
    String scheme = settings.tls() == TlsMode.PLAIN ? "http" : "https";
    return URI.create(scheme + "://" + settings.host() + ":" + port() + "/mcp");
  }

  /**
   * Graceful shutdown, first step: {@code /readyz} turns 503 at once, every new request is refused with a retryable
   * 503 ({@code Retry-After}), and this waits until the calls already admitted finish or {@code timeout} passes.
   * {@link #close} then stops the server.
   *
   * @return the calls still running when it returned (0 when all finished)
   */
  public int drain(Duration timeout) throws InterruptedException {
    return drain.drain(timeout);
  }

  @Override
  public void close() {
    try {
      if (mcp != null) {
        mcp.closeGracefully();
      }
      server.stop();
    } catch (Exception e) {
      // shutting down: nothing more to release
    }
  }
}
