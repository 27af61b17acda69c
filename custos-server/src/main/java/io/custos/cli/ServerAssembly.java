package io.custos.cli;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.AuditTrail;
import io.custos.audit.ledger.LocalKeySource;
import io.custos.audit.ledger.MerkleLedger;
import io.custos.audit.ledger.TokenMap;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.AuthenticationException;
import io.custos.auth.Authenticator;
import io.custos.auth.CachingAuthenticator;
import io.custos.auth.Caller;
import io.custos.auth.DevelopmentAuthenticator;
import io.custos.auth.ClaimsMapping;
import io.custos.auth.IntrospectionAuthenticator;
import io.custos.auth.JwtAuthenticator;
import io.custos.phi.SensitiveCategories;
import io.custos.phi.SensitiveValueSets;
import io.custos.pipeline.Stages;
import io.custos.routes.GovernedPath;
import io.custos.routes.Routes;
import io.custos.policy.AccessControl;
import io.custos.policy.BreakGlass;
import io.custos.policy.FhirCareRelationship;
import io.custos.policy.RateLimits;
import io.custos.policy.RolePolicy;
import io.custos.policy.ScopeCheck;
import io.custos.state.InProcessStateStore;
import io.custos.state.PostgresStateStore;
import io.custos.state.StateStore;
import io.custos.tools.ToolSpec;
import java.util.Set;
import java.util.stream.Collectors;
import io.custos.config.ConfigException;
import io.custos.config.CustosConfig;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.mcp.CustosMcpServer;
import io.custos.mcp.v2026.RequestStates;
import io.custos.mcp.v2026.StatelessFront;
import io.custos.mcp.http.McpHttpServer;
import io.custos.mcp.http.SelfSignedCertificate;
import io.custos.pipeline.GovernancePipeline;
import io.custos.tools.ToolCatalog;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * The composition root: builds every component from a validated {@link CustosConfig}. The only place
 * where concrete implementations are chosen for the seams (upstream, audit trail, authenticator).
 */
public final class ServerAssembly implements AutoCloseable {
  /** Server version reported to clients and in audit events. */
  public static final String VERSION = "0.1.0";

  private static final FhirContext FHIR = FhirContext.forR4Cached();

  private final CustosConfig config;
  private final ObjectMapper mapper = new ObjectMapper().registerModule(new com.fasterxml.jackson.module.blackbird.BlackbirdModule());
  private final JacksonMcpJsonMapper jsonMapper = new JacksonMcpJsonMapper(mapper);
  private final AuditTrail audit;
  private final TokenMap tokenMap;
  private final io.custos.audit.ledger.LedgerReader ledgerReader;
  private final CustosMcpServer mcp;
  private final StatelessFront envelopes;
  private final Authenticator authenticator;
  private final GovernancePipeline pipeline;
  private final io.custos.writes.WriteStages writes;
  private final LocalKeySource keys;
  private final io.custos.writes.ProposalStore proposals;
  private final Optional<io.custos.sql.SqlUpstream> sql;
  private final StateStore state;
  private final io.custos.metrics.CustosMetrics metrics;
  private final io.custos.alerting.FanOutSink alerts;
  private final Optional<io.custos.console.PostgresAlertLog> fleetAlerts;
  private final Optional<io.custos.detect.DetectionEngine> detection;
  private final Optional<io.custos.detect.FleetLedgerTail> fleetTail;

  /** Scopes advertised in protected resource metadata and 401 challenges (SMART v2 wildcards). */
  /** Most validated access tokens held at once (about 1 KB each). */
  private static final long TOKEN_CACHE_SIZE = 100_000;
  static final List<String> SCOPES_SUPPORTED = List.of("openid", "fhirUser", "patient/*.rs", "user/*.rs");
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ServerAssembly.class);

  /** @throws IOException if the data directory, keys or audit trail cannot be prepared */
  public ServerAssembly(CustosConfig config) throws IOException {
    this(config, GovernancePipeline.Observer.NONE);
  }

  /**
   * As above, with an observer of every completed call (the stages it entered and its outcome).
   *
   * @throws IOException if the data directory, keys or audit trail cannot be prepared
   */
  public ServerAssembly(CustosConfig config, GovernancePipeline.Observer observer) throws IOException {
    this(config, observer, Clock.systemUTC());
  }

  /**
   * As above, on {@code clock} (audit timestamps, grants, rate limits, detection windows; a workload simulator's day).
   *
   * @throws IOException if the data directory, keys or audit trail cannot be prepared
   */
  public ServerAssembly(CustosConfig config, GovernancePipeline.Observer observer, Clock clock) throws IOException {
    this.config = config.validated();
    ToolCatalog catalog = ToolCatalog.readTools();
    var upstream = new HapiFhirUpstream(FHIR, this.config.upstream().baseUrl(),
        Duration.ofSeconds(this.config.upstream().timeoutSeconds()), List.of(), upstreamAuth(this.config.upstream(), clock),
        this.config.upstream().searchMethod());
    // A legacy relational database behind the same pipeline; refuses to start when its account can write.
    this.sql = Optional.ofNullable(this.config.sql()).map(io.custos.sql.SqlUpstream::open);
    var registry = Routes.registry(catalog, io.custos.writes.WriteTools.standard(),
        sql.map(io.custos.sql.SqlUpstream::declarations).orElse(List.of()));
    checkUpstream(upstream, registry, this.config.policy());
    this.metrics = new io.custos.metrics.CustosMetrics(registry);
    Path data = dataDir();
    Files.createDirectories(data);
    // The alert log, then webhooks, syslog and e-mail in the background; each alert is counted by rule. Built before
    // the ledger is opened, so that an unreadable secret or certificate refuses the start without holding the ledger.
    var delivered = io.custos.alerting.AlertSinks.from(this.config.alerts(), data, metrics, clock);
    // The tamper-evident, encrypted Merkle ledger (45 CFR 164.312(b),(c)); patient pseudonyms go to its encrypted token map.
    Path keysDir = this.config.keysPath().toAbsolutePath();
    this.keys = LocalKeySource.openOrCreate(keysDir);
    MerkleLedger ledger;
    Optional<io.custos.audit.ledger.PostgresLedgerStore> shared = Optional.empty();
    try {
      if (this.config.database().isPresent()) {
        // A fleet: one ledger and token map in the shared database; ledgerDir() keeps this server's checkpoint cache.
        var db = this.config.database().get();
        var store = io.custos.audit.ledger.PostgresLedgerStore.connect(db.jdbcUrl(), db.user(), db.password());
        ledger = MerkleLedger.open(store, ledgerDir(), keys, ledgerOptions(), clock);
        this.tokenMap = TokenMap.open(store, keys.tokenMapAead());
        shared = Optional.of(store);
      } else {
        ledger = MerkleLedger.open(ledgerDir(), keys, ledgerOptions());
        this.tokenMap = TokenMap.open(ledgerDir().resolve(TokenMap.FILE), keys.tokenMapAead());
      }
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("token map key unavailable", e);
    }
    // Misuse detection reads every event once it is durable.
    this.ledgerReader = ledger.reader();
    var tap = new io.custos.detect.TappedAuditTrail(ledger);
    this.audit = tap;
    metrics.ledger(ledger::size, ledgerDir().resolve(io.custos.verify.CheckpointLog.FILE), clock);
    var policy = this.config.policy();
    var identity = this.config.identity();
    RolePolicy roles = RolePolicy.of(policy.roles(), registry.toolNames())
        .with(sql.map(io.custos.sql.SqlUpstream::roleGrants).orElse(java.util.Map.of()));
    // The one state store: cursors, proposals, grants, rate-limit buckets, single-use records and session bindings.
    this.state = stateStore(this.config.database(), clock);
    // A fleet's alerts also go to its database, where the console of every replica reads them.
    this.fleetAlerts = fleetState(state).map(io.custos.console.PostgresAlertLog::new);
    this.alerts = fleetAlerts.map(db -> new io.custos.alerting.FanOutSink(
        java.util.stream.Stream.concat(delivered.sinks().stream(), java.util.stream.Stream.of(db)).toList(), metrics))
        .orElse(delivered);
    AccessControl access = new AccessControl(roles, new ScopeCheck(Set.copyOf(identity.systemClients())),
        new FhirCareRelationship(upstream, clock, Duration.ofMinutes(5)), policy.requireCareRelationship(), true,
        new BreakGlass(clock, Duration.ofMinutes(policy.breakGlassMinutes()), state.grants()),
        Set.copyOf(policy.breakGlassRoles()));
    var pseudonyms = new PatientPseudonyms(secretKey(keysDir.resolve("pseudonym.key")), this::remember);
    // One server judges its own calls; in a fleet one elected replica reads every replica's events from the ledger.
    boolean detecting = this.config.detection() != null && this.config.detection().on();
    this.fleetTail = detecting ? fleetTail(shared) : Optional.empty();
    this.detection = io.custos.detect.DetectionAssembly.start(Optional.ofNullable(this.config.detection()),
        new io.custos.detect.DetectionAssembly.Server(upstream, this::patientFor, pseudonyms, ledger, clock, VERSION,
            alerts), fleetTail.<io.custos.detect.AuditEventSource>map(t -> t).orElse(tap));
    Stages stages = Stages.builder().clock(clock).access(access).cursors(state.cursors())
        .rateLimits(new RateLimits(policy.rateLimitPerMinute(), state.rateLimitBuckets()))
        .audit(metrics.meter(audit), pseudonyms)
        .version(VERSION).validator(new DefaultJsonSchemaValidator(mapper)).upstream(upstream, FHIR).alerts(alerts)
        .sensitiveCategories(new SensitiveCategories(FHIR, sensitiveValueSets(policy)))
        .build();
    // The patients' Consents, read from the upstream and reused for two minutes per patient.
    var consent = new io.custos.consent.ConsentDirectives(upstream, clock, Duration.ofMinutes(2), policy.breakGlassOverridesConsent());
    GovernedPath path = GovernedPath.of(stages, state.proposals(), cohortService(upstream, keysDir, clock,
        new io.custos.phi.research.CohortService.Governance(consent, protocols(this.config.research()), stages.sensitiveCategories())),
        consent, new io.custos.writes.WriteSettings(
        policy.readOnly(), Duration.ofSeconds(policy.proposalTtlSeconds()), policy.elicitationApproval()), observer, sql);
    this.pipeline = path.pipeline();
    this.writes = path.writes();
    this.proposals = new io.custos.writes.ProposalStore(state.proposals());
    if (policy.readOnly()) {
      log.info("policy.readOnly: write tools are disabled");
    }
    this.mcp = new CustosMcpServer(pipeline, mapper, jsonMapper, VERSION,
        new CustosMcpServer.Settings(!policy.readOnly(), policy.elicitationApproval()));
    // A 2026-07-28 request state is single use: the claim lives in the same state store, keyed by the state's own id.
    try {
      this.envelopes = new StatelessFront(mcp.catalog(), mapper, new RequestStates(keys.requestStateAead(),
          state.singleUse()::claimOnce, clock, RequestStates.DEFAULT_TTL), policy.elicitationApproval());
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("request-state key unavailable", e);
    }
    this.authenticator = authenticator(identity, clock);
  }

  /**
   * The authenticator of {@code identity}: the server's for every request, and the CLI's for commands that need a
   * proven role (re-identification for breach notification). Each distinct token is validated once (signature or
   * introspection), then reused until min(exp, cache age).
   *
   * @throws IOException if the introspection client secret cannot be read
   */
  static Authenticator authenticator(CustosConfig.Identity identity, Clock clock) throws IOException {
    Authenticator validation = switch (identity.mode()) {
      case "development" -> {
        log.warn("DEVELOPMENT IDENTITY: every caller is the local developer; loopback only, synthetic data only");
        yield new DevelopmentAuthenticator();
      }
      case "introspection" -> new IntrospectionAuthenticator(java.net.URI.create(identity.introspectionUri()),
          identity.introspectionClientId(), Files.readString(Path.of(identity.introspectionClientSecretFile())).trim(),
          identity.issuer(), identity.audience(),
          new ClaimsMapping(identity.rolesClaim(), identity.mfaAmr(), identity.mfaAcr()), clock, Duration.ofSeconds(10));
      default -> JwtAuthenticator.remote(new JwtAuthenticator.Settings(identity.issuer(), identity.audience(),
          identity.tokenTypes(), identity.algorithms(), Duration.ofSeconds(identity.clockSkewSeconds()), identity.rolesClaim(),
          identity.mfaAmr(), identity.mfaAcr()), identity.jwksUri());
    };
    return identity.mode().equals("development") ? validation
        : CachingAuthenticator.wrap(validation, Duration.ofSeconds(identity.tokenCacheSeconds()), TOKEN_CACHE_SIZE, clock);
  }

  /**
   * The state store: in this process for one server, or in the fleet's PostgreSQL {@code database} (its own pool of
   * {@code database.maxPoolSize} connections, its own tables and schema history beside the ledger's).
   *
   * @throws ConfigException when {@code database.passwordFile} cannot be read
   * @throws io.custos.state.StateUnavailableException when the database cannot be reached or migrated
   */
  static StateStore stateStore(Optional<CustosConfig.Database> database, Clock clock) {
    return database.<StateStore>map(db -> PostgresStateStore.builder().clock(clock)
            .jdbc(db.jdbcUrl(), db.user(), Optional.of(db.password()).filter(p -> !p.isEmpty()))
            .maxPoolSize(db.maxPoolSize()).build())
        .orElseGet(() -> InProcessStateStore.builder().clock(clock).build());
  }

  /**
   * The checked-in sensitive-data value sets, united with the organisation's VSAC expansions when
   * {@code policy.sensitiveValueSets} names a directory.
   *
   * @throws ConfigException naming the key and the offending file (never its content)
   */
  private static SensitiveValueSets sensitiveValueSets(CustosConfig.Policy policy) {
    try {
      return SensitiveValueSets.load(Optional.ofNullable(policy.sensitiveValueSets()).map(Path::of));
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw new ConfigException("policy.sensitiveValueSets: " + e.getMessage());
    }
  }

  /**
   * The researcher tools' engine: Safe Harbor de-identification keyed by {@code <dataDir>/keys/research.key}
   * (pseudonyms stable across calls, unlinkable to the audit pseudonyms), ages relative to today.
   */
  private static io.custos.phi.research.CohortService cohortService(io.custos.fhir.FhirUpstream upstream, Path keysDir, Clock clock,
      io.custos.phi.research.CohortService.Governance governance) throws IOException {
    java.time.LocalDate today = java.time.LocalDate.now(clock);
    var deid = new io.custos.phi.deid.DeIdentifier(FHIR,
        io.custos.phi.deid.DeidConfig.safeHarbor(secretKey(keysDir.resolve("research.key")), today));
    return new io.custos.phi.research.CohortService(upstream, deid, today, 5000, governance);
  }

  private static io.custos.phi.research.ResearchProtocols protocols(CustosConfig.Research research) {
    return io.custos.phi.research.ResearchProtocols.of(research.protocols().stream()
        .map(p -> new io.custos.phi.research.ResearchProtocols.Protocol(p.id(), p.categories().stream()
            .map(id -> io.custos.phi.SensitiveCategory.byId(id).orElseThrow()) // validated with the configuration
            .collect(java.util.stream.Collectors.toSet()), p.linkage(), Set.copyOf(p.investigators())))
        .toList());
  }

  /**
   * Refuses to start when the upstream's CapabilityStatement lacks an interaction or search parameter that a served
   * tool (or the care-relationship lookup) needs; the error names each tool and what is missing. An upstream that
   * cannot be asked (down, or its metadata needs credentials) is not checked here: readiness reports it.
   *
   * @throws ConfigException listing every unmet need
   */
  static void checkUpstream(HapiFhirUpstream upstream, io.custos.tools.Registry registry, CustosConfig.Policy policy) {
    org.hl7.fhir.r4.model.CapabilityStatement statement;
    try {
      statement = upstream.capabilities();
    } catch (io.custos.fhir.UpstreamException e) {
      log.warn("FHIR upstream CapabilityStatement not available ({}): its support for the tools is not checked at start",
          e.kind());
      return;
    }
    // Write tools are not served read-only, so their needs do not count then.
    List<io.custos.tools.Declaration> served = registry.of(io.custos.tools.Declaration.Kind.TOOL).stream()
        .filter(d -> !policy.readOnly() || d.hints().readOnly()).toList();
    List<String> missing = new io.custos.fhir.CapabilityCheck(statement).missing(served, policy.requireCareRelationship());
    if (!missing.isEmpty()) {
      throw new io.custos.config.ConfigException("the FHIR upstream's CapabilityStatement does not declare what Custos needs: "
          + String.join("; ", missing));
    }
    log.info("FHIR upstream CapabilityStatement declares every interaction and search parameter the tools need");
  }

  static io.custos.fhir.UpstreamAuth upstreamAuth(CustosConfig.Upstream u, Clock clock) throws IOException {
    var a = u.auth();
    if (a == null || a.mode().equals("none")) {
      return io.custos.fhir.UpstreamAuth.none();
    }
    var endpoint = io.custos.fhir.auth.TokenEndpoint.of(java.net.URI.create(a.tokenEndpoint()), a.clientId(),
        a.clientSecretFile() == null ? null : Path.of(a.clientSecretFile()),
        a.privateKeyFile() == null ? null : Path.of(a.privateKeyFile()), Duration.ofSeconds(u.timeoutSeconds()), clock);
    log.info("upstream credentials: {}", a.mode());
    return switch (a.mode()) {
      case "client_credentials" -> new io.custos.fhir.auth.ClientCredentialsUpstreamAuth(endpoint, a.scope(), a.audience(), clock);
      case "token_exchange" -> new io.custos.fhir.auth.TokenExchangeUpstreamAuth(endpoint, a.audience(), a.scope(), clock);
      default -> throw new IllegalStateException("validated configuration has an unknown upstream.auth.mode");
    };
  }

  /** Records pseudonym -> patient id in the encrypted token map; failure fails the call closed. */
  private void remember(String pseudonym, String patientId) {
    try {
      tokenMap.remember(pseudonym, patientId);
    } catch (IOException e) {
      throw new io.custos.audit.AuditUnavailableException(e);
    }
  }

  /** Opens the audit ledger for reading: the fleet's database, else the ledger directory. */
  io.custos.verify.LedgerSource ledgerSource() throws IOException {
    return config.database().isPresent()
        ? io.custos.verify.JdbcLedger.connect(config.database().get().jdbcUrl(), config.database().get().user(),
            config.database().get().password())
        : new io.custos.verify.DirectoryLedger(ledgerDir());
  }

  /** The ledger's options: the defaults, with the configured witness directory ({@code ledger.witnessDir}). */
  private io.custos.audit.ledger.LedgerOptions ledgerOptions() {
    var defaults = io.custos.audit.ledger.LedgerOptions.defaults();
    return config.ledger().witness().map(defaults::withWitness).orElse(defaults);
  }

  /** The witness of this server's ledger now. */
  public io.custos.compliance.WitnessStatus witness() {
    return io.custos.compliance.WitnessStatus.read(config.ledger().witness());
  }

  /** The audit ledger directory ({@code <dataDir>/ledger}). */
  public Path ledgerDir() {
    return dataDir().resolve("ledger");
  }

  public Path dataDir() {
    return Path.of(config.dataDir()).toAbsolutePath();
  }

  /** The MCP 2026-07-28 front (stdio and Streamable HTTP), beside {@link #mcp()}. */
  public StatelessFront envelopes() {
    return envelopes;
  }

  public CustosMcpServer mcp() {
    return mcp;
  }

  public JacksonMcpJsonMapper jsonMapper() {
    return jsonMapper;
  }

  /** Operational metrics (Prometheus exposition). */
  public io.custos.metrics.CustosMetrics metrics() {
    return metrics;
  }

  /** Where alerts go: the alert log and the configured receivers. */
  public io.custos.alerting.FanOutSink alerts() {
    return alerts;
  }

  /** The alert log file (JSON Lines) that {@code custos incident open} reads. */
  public Path alertLog() {
    return config.alerts().logFile(dataDir());
  }

  /**
   * Starts the loopback {@code /metrics} listener when the {@code metrics} section enables it.
   *
   * @throws IOException if its address cannot be bound
   */
  public Optional<io.custos.metrics.MetricsServer> startMetrics() throws IOException {
    var m = config.metrics();
    return m.enabled() ? Optional.of(io.custos.metrics.MetricsServer.start(m.host(), m.port(), metrics)) : Optional.empty();
  }

  /** The governed path every call takes. */
  public GovernancePipeline pipeline() {
    return pipeline;
  }

  public Authenticator authenticator() {
    return authenticator;
  }

  private Optional<io.custos.detect.FleetLedgerTail> fleetTail(Optional<io.custos.audit.ledger.PostgresLedgerStore> shared)
      throws IOException {
    if (shared.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new io.custos.detect.FleetLedgerTail(shared.get(), keys.ledgerAead(), Duration.ofSeconds(5)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("ledger key unavailable", e);
    }
  }

  /** Re-identifies a pseudonym for the detection engine's patient facts (never leaves the engine). */
  private Optional<String> patientFor(String pseudonym) {
    try {
      return tokenMap.patientFor(pseudonym);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The misuse-detection engine, when {@code detection} is configured and on. */
  public Optional<io.custos.detect.DetectionEngine> detection() {
    return detection;
  }

  /**
   * Starts Streamable HTTP per the configuration.
   *
   * @param allowTls12 command-line override allowing TLS 1.2
   * @throws IOException if the listener cannot start
   */
  public McpHttpServer startHttp(boolean allowTls12) throws IOException {
    var s = config.server();
    McpHttpServer.TlsMode mode = switch (s.tls()) {
      case "plain" -> McpHttpServer.TlsMode.PLAIN;
      case "tls12" -> McpHttpServer.TlsMode.TLS12;
      default -> allowTls12 ? McpHttpServer.TlsMode.TLS12 : McpHttpServer.TlsMode.TLS13;
    };
    SelfSignedCertificate cert = mode == McpHttpServer.TlsMode.PLAIN ? null : SelfSignedCertificate.loadOrCreate(dataDir().resolve("tls"));
    var identity = config.identity();
    String resource = identity.audience() != null ? identity.audience()
        : (mode == McpHttpServer.TlsMode.PLAIN ? "http" : "https") + "://" + s.host() + ":" + s.port() + "/mcp";
    var metadata = new McpHttpServer.ResourceMetadata(resource,
        identity.issuer() == null ? List.of() : List.of(identity.issuer()), SCOPES_SUPPORTED);
    var security = new McpHttpServer.Security(authenticator, Optional.of(pipeline), metadata,
        Duration.ofMinutes(identity.idleTimeoutMinutes()), Optional.of(envelopes), state.sessions());
    var servlets = new java.util.HashMap<String, jakarta.servlet.Servlet>(
        java.util.Map.of("/approvals/*", new io.custos.writes.ApprovalServlet(pipeline, authenticator)));
    var origins = new HashSet<>(s.allowedOrigins());
    if (consoleEnabled()) {
      String origin = config.console().origin() != null ? config.console().origin()
          : (mode == McpHttpServer.TlsMode.PLAIN ? "http" : "https") + "://" + s.host() + ":" + s.port();
      origins.add(origin); // the console's own form posts
      servlets.put("/console/*", console(origin));
    }
    McpHttpServer server = McpHttpServer.start(new McpHttpServer.Settings(s.host(), s.port(), mode, cert,
        origins, new HashSet<>(s.allowedHosts()), s.maxRequestBytes()), mcp::start, jsonMapper, security,
        readiness(), servlets);
    String base = server.endpoint().toString();
    // With the console, clinicians approve there (signed in with MFA) instead of presenting a bearer token.
    String approvals = base.substring(0, base.length() - "/mcp".length()) + (consoleEnabled() ? "/console" : "");
    writes.approvalBase(() -> Optional.of(approvals));
    return server;
  }

  /** Whether the compliance console is configured ({@code console.clientId}). */
  public boolean consoleEnabled() {
    return config.console() != null && config.console().clientId() != null;
  }

  /** The alert log the console reads ({@code console.alertLog}, default {@code <dataDir>/alerts.jsonl}). */
  /** The alert log the console shows: {@code console.alertLog}, default the log the alert sinks write. */
  static Path alertLog(CustosConfig config) {
    return config.console() != null && config.console().alertLog() != null ? Path.of(config.console().alertLog())
        : config.alerts().logFile(Path.of(config.dataDir()).toAbsolutePath());
  }

  /** The compliance report over the live configuration and this server's evidence (a fleet's ledger in its database). */
  public io.custos.compliance.ComplianceReport complianceReport() {
    return io.custos.compliance.ComplianceChecks.run(config,
        io.custos.compliance.ComplianceEvidence.gather(complianceSources(config, fleetState(state)), java.time.Instant.now()), VERSION);
  }

  /**
   * Where the compliance evidence of {@code config} is: its data and key directories, its alert log, its witness, its
   * ledger and last PHI scan, read from the fleet's databases when {@code database} is configured.
   *
   * @param fleetState the fleet's state database (migrated); empty for one server
   */
  static io.custos.compliance.ComplianceEvidence.Sources complianceSources(CustosConfig config,
      Optional<javax.sql.DataSource> fleetState) {
    Path data = Path.of(config.dataDir()).toAbsolutePath();
    var sources = io.custos.compliance.ComplianceEvidence.Sources.of(data, alertLog(config))
        .withKeysDir(config.keysPath().toAbsolutePath()).withWitness(config.ledger().witness());
    return config.database().flatMap(db -> fleetState.map(state -> sources.withFleet(
            () -> io.custos.verify.JdbcLedger.connect(db.jdbcUrl(), db.user(), db.password()),
            new io.custos.compliance.SharedEvidence(state))))
        .orElse(sources);
  }

  /** The fleet's state database of {@code store}; empty when it keeps state in process. */
  static Optional<javax.sql.DataSource> fleetState(StateStore store) {
    return store instanceof PostgresStateStore p ? Optional.of(p.dataSource()) : Optional.empty();
  }

  private io.custos.console.ConsoleServlet console(String origin) throws IOException {
    var identity = config.identity();
    var ledger = new io.custos.console.LedgerView(ledgerDir(), this::ledgerSource, ledgerReader, keys, audit,
        tokenMap::pseudonymsFor);
    return new io.custos.console.ConsoleServlet(new io.custos.console.ConsoleServlet.Settings(
        io.custos.console.ConsoleServlet.relyingParty(identity.issuer(), config.console().clientId(), origin),
        new ClaimsMapping(identity.rolesClaim(), identity.mfaAmr(), identity.mfaAcr()),
        Duration.ofMinutes(identity.idleTimeoutMinutes()), ledger, ledgerDir().resolve("notes.jsonl"),
        fleetAlerts.<io.custos.console.AlertLog>map(a -> a).orElseGet(() -> new io.custos.console.JsonLinesAlertLog(alertLog(config))),
        pipeline, proposals, this::complianceReport, VERSION, Clock.systemUTC(), this::witness, fleetNotes(),
        fleetState(state).map(io.custos.incident.PostgresIncidentStore::new)));
  }

  /** A fleet's case notes, in its state database beside the alerts. */
  private Optional<io.custos.console.CaseNotes> fleetNotes() throws IOException {
    Optional<javax.sql.DataSource> db = fleetState(state);
    if (db.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new io.custos.console.PostgresCaseNotes(db.get(), keys.ledgerAead()));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("ledger key unavailable", e);
    }
  }

  /**
   * {@code /readyz}: the ledger accepts appends, the keys are loaded, the upstream FHIR server answers its capability
   * statement and, with OAuth tokens, the JWKS can be fetched; each probe is cached for a few seconds.
   */
  private io.custos.mcp.http.Readiness readiness() {
    Duration timeout = Duration.ofSeconds(Math.min(2, config.upstream().timeoutSeconds()));
    var checks = io.custos.mcp.http.Readiness.builder()
        .check("ledger", audit::accepting)
        .check("keys", this::keysLoaded)
        .check("upstream", io.custos.mcp.http.Readiness.fhirMetadata(config.upstream().baseUrl(), timeout));
    if ("oauth".equals(config.identity().mode())) {
      checks.check("jwks", io.custos.mcp.http.Readiness.jwks(config.identity().jwksUri(), timeout));
    }
    return checks.build();
  }

  private boolean keysLoaded() {
    try {
      return keys.ledgerAead() != null && keys.tokenMapAead() != null && keys.checkpointSigningKey() != null
          && keys.checkpointPublicKey() != null;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The stdio caller, authenticated on every call with the same authenticator as HTTP, from the token in
   * {@code tokenFile} (re-read each call, so a refreshed token takes effect) or else the {@code CUSTOS_TOKEN}
   * environment variable. Empty when authentication fails: the pipeline then refuses the call.
   *
   * @param tokenFile local credential file holding one bearer token, or null
   */
  public Optional<Caller> stdioCaller(Path tokenFile) {
    try {
      String token = tokenFile != null ? Files.readString(tokenFile).trim() : System.getenv("CUSTOS_TOKEN");
      return Optional.of(authenticator.authenticate(Optional.ofNullable(token)));
    } catch (AuthenticationException | IOException e) {
      return Optional.empty();
    }
  }

  /** Reads a 32-byte key, creating it (owner-only permissions) on first use. Never logged. */
  static byte[] secretKey(Path file) throws IOException {
    if (Files.exists(file)) {
      return Files.readAllBytes(file);
    }
    Files.createDirectories(file.getParent());
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Files.write(file, key);
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // non-POSIX file system
    }
    return key;
  }

  @Override
  public void close() {
    detection.ifPresent(io.custos.detect.DetectionEngine::close);
    fleetTail.ifPresent(io.custos.detect.FleetLedgerTail::close);
    sql.ifPresent(io.custos.sql.SqlUpstream::close);
    alerts.close();
    audit.close();
    state.close();
    try {
      tokenMap.close();
    } catch (IOException ignored) {
      // shutting down
    }
  }
}
