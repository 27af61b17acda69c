package io.custos.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.custos.fhir.SearchMethod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;

/**
 * The one configuration file, {@code custos.yaml}. Validated at start; every error names its key
 * (see README "Configuration reference").
 *
 * @param server   listener settings
 * @param upstream FHIR R4 upstream
 * @param identity how callers are authenticated
 * @param policy   roles, care relationships, break-the-glass and rate limits
 * @param research approved research protocols (sensitive cohorts, linkable extracts); default none
 * @param dataDir  directory for the audit trail, keys and the generated TLS certificate
 * @param database the PostgreSQL database a fleet of servers shares for its audit ledger and state; absent for one
 *                 server (ledger in {@code dataDir}, state in process)
 * @param keysDir  directory of the ledger, token-map, request-state and pseudonym keys; default
 *                 {@code <dataDir>/keys} (every server of a fleet mounts the same keys)
 * @param ledger   how the audit ledger is kept (retention); default {@link LedgerSettings} defaults
 * @param console  the compliance console at {@code /console}; default off
 * @param sql      a relational database behind the same pipeline (tools declared over its tables); default none
 * @param alerts   where security alerts go ({@link AlertSettings}); default the alert log only
 * @param metrics  the Prometheus management listener ({@link MetricsSettings}); default none
 * @param detection misuse detection over the audit events (README "Misuse detection"); default off
 */
public record CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, Research research,
    String dataDir, Optional<Database> database, String keysDir, LedgerSettings ledger, Console console,
    io.custos.sql.SqlSettings sql, AlertSettings alerts, MetricsSettings metrics,
    io.custos.detect.DetectionConfig detection) {
  @com.fasterxml.jackson.annotation.JsonCreator
  public CustosConfig {
    database = database == null ? Optional.empty() : database;
  }

  /** A single-server configuration (no shared database, keys in the data directory). */
  public CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, Research research,
      String dataDir) {
    this(server, upstream, identity, policy, research, dataDir, Optional.empty(), null);
  }

  /** A single-server configuration with a compliance console. */
  public CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, Research research,
      String dataDir, Console console) {
    this(server, upstream, identity, policy, research, dataDir, Optional.empty(), null, null, console, null, null, null, null);
  }

  /** A configuration with the default ledger settings and no compliance console. */
  public CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, Research research,
      String dataDir, Optional<Database> database, String keysDir) {
    this(server, upstream, identity, policy, research, dataDir, database, keysDir, null, null, null, null, null, null);
  }

  /**
   * The PostgreSQL database of a fleet (JDBC through a HikariCP pool). The password comes from {@code passwordFile}
   * (a mounted secret) or the environment variable {@code passwordEnv}, never from this file.
   *
   * @param jdbcUrl      {@code jdbc:postgresql://host:port/database}
   * @param user         database role
   * @param passwordFile file holding the password (trailing newline ignored)
   * @param passwordEnv  environment variable holding the password; default {@code CUSTOS_DB_PASSWORD}
   * @param maxPoolSize  connections per server, 2..64; default 8 (the fleet's total must stay under the
   *                     database's {@code max_connections})
   */
  public record Database(String jdbcUrl, String user, String passwordFile, String passwordEnv, Integer maxPoolSize) {
    /** The password from the file or the environment; empty when neither is set. */
    public String password() {
      if (passwordFile != null) {
        try {
          return Files.readString(Path.of(passwordFile)).strip();
        } catch (IOException e) {
          throw new ConfigException("database.passwordFile: cannot read it (" + e.getClass().getSimpleName() + ")");
        }
      }
      String v = System.getenv(passwordEnv == null ? "CUSTOS_DB_PASSWORD" : passwordEnv);
      return v == null ? "" : v;
    }
  }

  /**
   * The compliance console: people sign in with OpenID Connect (authorization code with PKCE, RFC 7636) at
   * {@code identity.issuer}; the idle timeout is {@code identity.idleTimeoutMinutes}, as for MCP sessions.
   *
   * @param clientId  the console's OAuth client id at the identity provider (a public client: PKCE, no secret);
   *                  absent: no console
   * @param alertLog  JSON-lines file of alerts (one {@code AlertSink.Alert.document()} per line) the alerts page
   *                  shows; default {@code <dataDir>/alerts.jsonl}
   * @param origin    the console's public origin as browsers reach it ({@code https://custos.example.org}): its
   *                  sign-in callback is {@code <origin>/console/callback} and its form posts carry it as
   *                  {@code Origin}; default {@code https://<server.host>:<server.port>}
   */
  public record Console(String clientId, String alertLog, String origin) {
    /** A console at the listener's own address. */
    public Console(String clientId, String alertLog) {
      this(clientId, alertLog, null);
    }
  }

  /** A single-server configuration with a SQL upstream. */
  public CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, Research research,
      String dataDir, io.custos.sql.SqlSettings sql) {
    this(server, upstream, identity, policy, research, dataDir, Optional.empty(), null, null, null, sql, null, null, null);
  }

  /** The alerts section, defaulted when absent (also for configurations built in code). */
  @Override
  public AlertSettings alerts() {
    return alerts == null ? AlertSettings.defaults() : alerts;
  }

  /** The metrics section; disabled when absent. */
  @Override
  public MetricsSettings metrics() {
    return metrics == null ? MetricsSettings.disabled() : metrics;
  }

  /** A single-server configuration with misuse detection. */
  public CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, Research research,
      String dataDir, io.custos.detect.DetectionConfig detection) {
    this(server, upstream, identity, policy, research, dataDir, Optional.empty(), null, null, null, null, null, null,
        detection);
  }

  /** A configuration without research protocols. */
  public CustosConfig(Server server, Upstream upstream, Identity identity, Policy policy, String dataDir) {
    this(server, upstream, identity, policy, null, dataDir);
  }

  /**
   * Research governance beyond Safe Harbor (45 CFR 164.512(i): research approved by an IRB or privacy board).
   *
   * @param protocols approved protocols researchers may cite as {@code protocol_id}; default none
   */
  public record Research(List<Protocol> protocols) {}

  /**
   * One approved research protocol.
   *
   * @param id         identifier researchers cite, 1..64 of {@code A-Z a-z 0-9 . _ -}, unique
   * @param categories sensitive categories its cohorts may be about ({@code substance-use}, {@code mental-health},
   *                   {@code hiv}, {@code reproductive-health}, {@code sexual-domestic-violence}); the researcher also
   *                   needs the role {@code sensitive-data:<category>}; default none
   * @param linkage    whether its extracts keep one pseudonym per patient across extracts; default false
   * @param investigators users ({@code sub} of their tokens) approved to work under it; at least one, no one else may
   *                   cite it
   */
  public record Protocol(String id, List<String> categories, Boolean linkage, List<String> investigators) {}
  /** Roles that may declare break-the-glass when {@code policy.breakGlassRoles} is absent. */
  public static final List<String> DEFAULT_BREAK_GLASS_ROLES = List.of("clinician", "nurse");


  /**
   * @param host            bind address; default 127.0.0.1
   * @param port            default 8443; 0 = ephemeral
   * @param tls             {@code tls13} (default), {@code tls12} (also allows TLS 1.2), or {@code plain} (loopback only)
   * @param allowedOrigins  Origin header values accepted (browser clients such as the Inspector UI)
   * @param allowedHosts    extra Host header names accepted (e.g. the public DNS name behind a load balancer)
   * @param maxRequestBytes request body bound; default 1 MiB
   */
  public record Server(String host, Integer port, String tls, List<String> allowedOrigins, List<String> allowedHosts,
      Integer maxRequestBytes) {}

  /**
   * @param baseUrl        FHIR R4 base URL; {@code https} required unless the host is loopback
   * @param timeoutSeconds connect/read timeout; default 10, 1..120
   * @param auth           how upstream requests are authorized; default {@code mode: none}
   * @param searchMethod   {@code post} (default: {@code POST [type]/_search}, falling back to GET for good on a 405) or
   *                       {@code get} (for servers that refuse POST search; search values then appear in upstream URLs)
   */
  public record Upstream(String baseUrl, Integer timeoutSeconds, UpstreamAuth auth, SearchMethod searchMethod) {
    /** Without upstream credentials ({@code mode: none}). */
    public Upstream(String baseUrl, Integer timeoutSeconds) {
      this(baseUrl, timeoutSeconds, null);
    }

    /** With the default search method. */
    public Upstream(String baseUrl, Integer timeoutSeconds, UpstreamAuth auth) {
      this(baseUrl, timeoutSeconds, auth, null);
    }
  }

  /**
   * Upstream credentials (the inbound token is never passed upstream).
   *
   * @param mode             {@code none} (default; e.g. the embedded store), {@code client_credentials} (SMART Backend
   *                         Services: Custos's own token; the user is identified in the audit trail only) or
   *                         {@code token_exchange} (RFC 8693: the user's inbound token exchanged for an upstream token)
   * @param tokenEndpoint    the identity provider's token endpoint
   * @param clientId         Custos's client id there
   * @param clientSecretFile file holding the client secret ({@code client_secret_basic}); or
   * @param privateKeyFile   file holding a private JWK ({@code private_key_jwt}, RS384 / ES384 as SMART Backend Services asks)
   * @param scope            scope to request, e.g. {@code system/*.rs}; default none
   * @param audience         the upstream's audience; default: {@code baseUrl} for token_exchange, none for client_credentials
   */
  public record UpstreamAuth(String mode, String tokenEndpoint, String clientId, String clientSecretFile, String privateKeyFile,
      String scope, String audience) {}

  /**
   * How callers are authenticated (OAuth 2.1 resource server; RFC 9068 JWT access tokens).
   *
   * @param mode               {@code oauth} (default: JWT access tokens), {@code introspection} (opaque tokens, RFC 7662) or
   *                           {@code development} (loopback only, no identity provider; never for real PHI)
   * @param issuer             exact {@code iss} of accepted tokens
   * @param jwksUri            the issuer's JWKS URL (cached; refreshed at most every 30 s on an unknown {@code kid})
   * @param audience           this server's canonical resource URI (RFC 8707); tokens must list it in {@code aud}
   * @param tokenTypes         accepted JOSE {@code typ} values; default {@code at+jwt}, {@code application/at+jwt} (RFC 9068)
   * @param algorithms         accepted JWS algorithms; default RS256, PS256, ES256
   * @param clockSkewSeconds   tolerance for {@code exp}/{@code nbf}, 0..60, default 60
   * @param rolesClaim         claim holding role names (dot path, e.g. {@code realm_access.roles}); default {@code roles}
   * @param mfaAmr             {@code amr} values that prove multi-factor authentication; default {@code mfa}
   * @param mfaAcr             {@code acr} values that prove multi-factor authentication; default none
   * @param systemClients      client ids allowed to use {@code system/} scopes; default none
   * @param idleTimeoutMinutes automatic logoff of idle MCP sessions, 1..60, default 15
   * @param introspectionUri   mode {@code introspection}: the RFC 7662 endpoint for opaque tokens
   * @param introspectionClientId     Custos's client id at that endpoint
   * @param introspectionClientSecretFile file holding the client secret (owner-only; never logged)
   * @param tokenCacheSeconds  how long a validated access token is reused without validating it again (keyed by its
   *                           SHA-256, never beyond its {@code exp}), 0..300 (0: validate every request); default 300
   *                           for JWT access tokens, 30 for introspection, which is the latency with which a token
   *                           revoked at the authorization server is refused
   */
  public record Identity(String mode, String issuer, String jwksUri, String audience, List<String> tokenTypes,
      List<String> algorithms, Integer clockSkewSeconds, String rolesClaim, List<String> mfaAmr, List<String> mfaAcr,
      List<String> systemClients, Integer idleTimeoutMinutes, String introspectionUri, String introspectionClientId,
      String introspectionClientSecretFile, Integer tokenCacheSeconds) {
    @com.fasterxml.jackson.annotation.JsonCreator
    public Identity {}

    /** Only the mode; everything else defaulted (development configurations). */
    public Identity(String mode) {
      this(mode, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** JWT access tokens (no introspection settings). */
    public Identity(String mode, String issuer, String jwksUri, String audience, List<String> tokenTypes,
        List<String> algorithms, Integer clockSkewSeconds, String rolesClaim, List<String> mfaAmr, List<String> mfaAcr,
        List<String> systemClients, Integer idleTimeoutMinutes) {
      this(mode, issuer, jwksUri, audience, tokenTypes, algorithms, clockSkewSeconds, rolesClaim, mfaAmr, mfaAcr,
          systemClients, idleTimeoutMinutes, null, null, null, null);
    }
  }

  /**
   * Access policy beyond scopes (deny unless allowed).
   *
   * @param roles                   role name -> tool names it may use; default: see {@code io.custos.policy.RolePolicy#DEFAULT_ROLES}
   * @param requireCareRelationship {@code user/} callers reach only patients they have a care relationship with; default true
   * @param breakGlassRoles         roles that may declare break-the-glass; default clinician, nurse
   * @param breakGlassMinutes       how long break-the-glass lasts, 1..240, default 60
   * @param rateLimitPerMinute      tool calls per user per minute, default 120; per client 10x; per user and tool half
   * @param readOnly                global read-only mode, write tools hidden and refused; default false
   * @param proposalTtlSeconds      how long a write proposal can be approved and committed, 1..86400, default 900
   * @param elicitationApproval     whether the user's answer to an MCP elicitation approves a write; default false (Custos cannot tell a person answering the client's dialog from the agent's client answering it itself, so only the approval page, from another application, approves unless this is turned on)
   *                                (false: only the out-of-band approval endpoint)
   * @param sensitiveValueSets      a directory of FHIR R4 ValueSet JSON files (VSAC expansions, in per-category
   *                                subdirectories such as {@code substance-use/} or each with a v3-ActCode sensitivity
   *                                label as its useContext focus) added to the checked-in sensitive-data value sets;
   *                                default none (the checked-in sets only)
   * @param breakGlassOverridesConsent which patient Consent denials break-the-glass (emergency treatment) sets aside,
   *                                {@code patient-privacy} (default) or {@code none}; research consents never
   */
  public record Policy(java.util.Map<String, List<String>> roles, Boolean requireCareRelationship, List<String> breakGlassRoles,
      Integer breakGlassMinutes, Integer rateLimitPerMinute, Boolean readOnly, Integer proposalTtlSeconds,
      Boolean elicitationApproval, String sensitiveValueSets,
      io.custos.consent.BreakGlassOverride breakGlassOverridesConsent) {
    @com.fasterxml.jackson.annotation.JsonCreator
    public Policy {}

    /** The policy without an organisation's sensitive-data value sets and with the default break-the-glass override. */
    public Policy(java.util.Map<String, List<String>> roles, Boolean requireCareRelationship, List<String> breakGlassRoles,
        Integer breakGlassMinutes, Integer rateLimitPerMinute, Boolean readOnly, Integer proposalTtlSeconds,
        Boolean elicitationApproval) {
      this(roles, requireCareRelationship, breakGlassRoles, breakGlassMinutes, rateLimitPerMinute, readOnly, proposalTtlSeconds,
          elicitationApproval, null, null);
    }

    /** The policy without write settings (defaults apply). */
    public Policy(java.util.Map<String, List<String>> roles, Boolean requireCareRelationship, List<String> breakGlassRoles,
        Integer breakGlassMinutes, Integer rateLimitPerMinute) {
      this(roles, requireCareRelationship, breakGlassRoles, breakGlassMinutes, rateLimitPerMinute, null, null, null);
    }
  }

  /** A configuration with the default policy. */
  public CustosConfig(Server server, Upstream upstream, Identity identity, String dataDir) {
    this(server, upstream, identity, null, dataDir);
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .registerModule(new com.fasterxml.jackson.datatype.jdk8.Jdk8Module())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads and validates a YAML file.
   *
   * @throws ConfigException on unreadable, malformed or invalid configuration, naming the key
   */
  public static CustosConfig load(Path file) {
    CustosConfig raw;
    try {
      raw = YAML.readValue(Files.readAllBytes(file), CustosConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException("unknown configuration key '" + e.getPathReference().replaceAll("io\\.custos\\.config\\.\\w+(\\$\\w+)?", "")
          .replaceAll("\\[\"(\\w+)\"\\]", ".$1").replaceAll("^\\.|->", "") + "' in " + file.getFileName());
    } catch (ValueInstantiationException e) {
      // An enum-valued key with a value outside its set; the enum's message names the key and the allowed values.
      throw new ConfigException(e.getCause() == null ? "invalid value in " + file.getFileName()
          : e.getCause().getMessage() + " in " + file.getFileName());
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + file.getFileName() + ": " + e.getClass().getSimpleName());
    }
    return raw.withDefaults().validated();
  }

  /** Fills defaults for absent keys. */
  public CustosConfig withDefaults() {
    Server s = server == null ? new Server(null, null, null, null, null, null) : server;
    Upstream u = upstream == null ? new Upstream(null, null) : upstream;
    Identity i = identity == null ? new Identity(null) : identity;
    Policy p = policy == null ? new Policy(null, null, null, null, null, null, null, null, null, null) : policy;
    List<Protocol> protocols = research == null || research.protocols() == null ? List.of() : research.protocols().stream()
        .map(r -> new Protocol(r.id(), or(r.categories(), List.of()), r.linkage() != null && r.linkage(),
            or(r.investigators(), List.of()))).toList();
    return new CustosConfig(
        new Server(s.host() == null ? "127.0.0.1" : s.host(), s.port() == null ? 8443 : s.port(),
            s.tls() == null ? "tls13" : s.tls().toLowerCase(Locale.ROOT),
            s.allowedOrigins() == null ? List.of() : s.allowedOrigins(), s.allowedHosts() == null ? List.of() : s.allowedHosts(),
            s.maxRequestBytes() == null ? 1 << 20 : s.maxRequestBytes()),
        new Upstream(u.baseUrl(), u.timeoutSeconds() == null ? 10 : u.timeoutSeconds(), upstreamAuth(u),
            u.searchMethod() == null ? SearchMethod.POST : u.searchMethod()),
        new Identity(i.mode() == null ? "oauth" : i.mode(), i.issuer(), i.jwksUri(), i.audience(),
            or(i.tokenTypes(), List.of("at+jwt", "application/at+jwt")), or(i.algorithms(), List.of("RS256", "PS256", "ES256")),
            i.clockSkewSeconds() == null ? 60 : i.clockSkewSeconds(), i.rolesClaim() == null ? "roles" : i.rolesClaim(),
            or(i.mfaAmr(), List.of("mfa")), or(i.mfaAcr(), List.of()), or(i.systemClients(), List.of()),
            i.idleTimeoutMinutes() == null ? 15 : i.idleTimeoutMinutes(), i.introspectionUri(), i.introspectionClientId(),
            i.introspectionClientSecretFile(), i.tokenCacheSeconds() != null ? i.tokenCacheSeconds()
                : "introspection".equals(i.mode()) ? 30 : 300),
        new Policy(p.roles(), p.requireCareRelationship() == null ? Boolean.TRUE : p.requireCareRelationship(),
            or(p.breakGlassRoles(), DEFAULT_BREAK_GLASS_ROLES), p.breakGlassMinutes() == null ? 60 : p.breakGlassMinutes(),
            p.rateLimitPerMinute() == null ? 120 : p.rateLimitPerMinute(),
            p.readOnly() == null ? Boolean.FALSE : p.readOnly(), p.proposalTtlSeconds() == null ? 900 : p.proposalTtlSeconds(),
            p.elicitationApproval() == null ? Boolean.FALSE : p.elicitationApproval(), p.sensitiveValueSets(),
            p.breakGlassOverridesConsent() == null ? io.custos.consent.BreakGlassOverride.PATIENT_PRIVACY : p.breakGlassOverridesConsent()),
        new Research(protocols),
        dataDir == null ? ".custos-data" : dataDir,
        database.map(d -> new Database(d.jdbcUrl(), d.user(), d.passwordFile(), d.passwordEnv(),
            d.maxPoolSize() == null ? 8 : d.maxPoolSize())),
        keysDir,
        (ledger == null ? new LedgerSettings(null) : ledger).withDefaults(), console,
        sql == null ? null : sql.validated(),
        alerts == null ? AlertSettings.defaults() : alerts.withDefaults(),
        metrics == null ? MetricsSettings.disabled() : metrics.withDefaults(), detection);
  }

  /** The key directory: {@code keysDir}, else {@code <dataDir>/keys}. */
  public Path keysPath() {
    return keysDir != null ? Path.of(keysDir) : Path.of(dataDir).resolve("keys");
  }

  private static UpstreamAuth upstreamAuth(Upstream u) {
    UpstreamAuth a = u.auth() == null ? new UpstreamAuth(null, null, null, null, null, null, null) : u.auth();
    String mode = a.mode() == null ? "none" : a.mode();
    String audience = a.audience() != null ? a.audience() : mode.equals("token_exchange") ? u.baseUrl() : null;
    return new UpstreamAuth(mode, a.tokenEndpoint(), a.clientId(), a.clientSecretFile(), a.privateKeyFile(), a.scope(), audience);
  }

  private static <T> List<T> or(List<T> value, List<T> fallback) {
    return value == null ? fallback : value;
  }

  /** @throws ConfigException listing every invalid key */
  public CustosConfig validated() {
    List<String> errors = new ArrayList<>();
    java.util.Set<String> protocolIds = new java.util.HashSet<>();
    for (Protocol p : research == null ? List.<Protocol>of() : research.protocols()) {
      if (p.id() == null || !p.id().matches("[A-Za-z0-9._-]{1,64}") || !protocolIds.add(p.id())) {
        errors.add("research.protocols: each id must be 1..64 of A-Z a-z 0-9 . _ - and unique");
      }
      if (p.investigators().isEmpty()) {
        errors.add("research.protocols.investigators: each protocol names at least one investigator (token sub)");
      }
      for (String c : p.categories()) {
        if (io.custos.phi.SensitiveCategory.byId(c).isEmpty()) {
          errors.add("research.protocols.categories: must be one of substance-use, mental-health, hiv, "
              + "reproductive-health, sexual-domestic-violence");
        }
      }
    }
    if (database.isPresent()) {
      Database d = database.get();
      if (d.jdbcUrl() == null || !d.jdbcUrl().startsWith("jdbc:postgresql://")) {
        errors.add("database.jdbcUrl: must be a jdbc:postgresql:// URL");
      }
      if (d.maxPoolSize() != null && (d.maxPoolSize() < 2 || d.maxPoolSize() > 64)) {
        errors.add("database.maxPoolSize: must be 2..64");
      }
    }
    alerts().validate(errors);
    metrics().validate(errors);
    if (server.port() < 0 || server.port() > 65535) {
      errors.add("server.port: must be 0..65535");
    }
    if (!List.of("tls13", "tls12", "plain").contains(server.tls())) {
      errors.add("server.tls: must be tls13, tls12 or plain");
    }
    boolean loopback = isLoopback(server.host());
    if (server.tls().equals("plain") && !loopback) {
      errors.add("server.tls: plain HTTP is allowed only when server.host is a loopback address");
    }
    if (server.maxRequestBytes() < 1024 || server.maxRequestBytes() > 16 << 20) {
      errors.add("server.maxRequestBytes: must be 1024..16777216");
    }
    if (upstream.baseUrl() == null || upstream.baseUrl().isBlank()) {
      errors.add("upstream.baseUrl: required (the FHIR R4 base URL)");
    } else {
      try {
        URI uri = URI.create(upstream.baseUrl());
        if (!"https".equals(uri.getScheme()) && !("http".equals(uri.getScheme()) && isLoopback(uri.getHost()))) {
          errors.add("upstream.baseUrl: must use https (plain http only for a loopback upstream)");
        }
      } catch (IllegalArgumentException e) {
        errors.add("upstream.baseUrl: not a valid URL");
      }
    }
    if (upstream.timeoutSeconds() < 1 || upstream.timeoutSeconds() > 120) {
      errors.add("upstream.timeoutSeconds: must be 1..120");
    }
    validateIdentity(errors, loopback);
    validateUpstreamAuth(errors);
    if (policy.breakGlassMinutes() < 1 || policy.breakGlassMinutes() > 240) {
      errors.add("policy.breakGlassMinutes: must be 1..240");
    }
    if (policy.rateLimitPerMinute() < 1 || policy.rateLimitPerMinute() > 100_000) {
      errors.add("policy.rateLimitPerMinute: must be 1..100000");
    }
    if (policy.proposalTtlSeconds() != null && (policy.proposalTtlSeconds() < 1 || policy.proposalTtlSeconds() > 86_400)) {
      errors.add("policy.proposalTtlSeconds: must be 1..86400");
    }
    if (policy.sensitiveValueSets() != null && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(policy.sensitiveValueSets()))) {
      errors.add("policy.sensitiveValueSets: not a directory");
    }
    if (ledger != null) {
      ledger.validate(errors);
    }
    if (console != null && console.clientId() != null && !identity.mode().equals("oauth")) {
      errors.add("console.clientId: the console signs people in with OpenID Connect; it needs identity.mode oauth");
    }
    if (console != null && console.origin() != null && !console.origin().matches("^https?://[^/\\s?#]+$")) {
      errors.add("console.origin: scheme://host[:port], no path, e.g. https://custos.example.org");
    }
    if (detection != null) {
      errors.addAll(detection.errors());
    }
    if (!errors.isEmpty()) {
      throw new ConfigException("invalid configuration:\n  " + String.join("\n  ", errors));
    }
    return this;
  }

  private void validateIdentity(List<String> errors, boolean loopback) {
    switch (identity.mode()) {
      case "development" -> {
        if (!loopback) {
          errors.add("identity.mode: 'development' is allowed only when server.host is a loopback address");
        }
      }
      case "oauth", "introspection" -> {
        requireUrl(errors, "identity.issuer", identity.issuer());
        if (identity.mode().equals("oauth")) {
          requireUrl(errors, "identity.jwksUri", identity.jwksUri());
        } else {
          requireUrl(errors, "identity.introspectionUri", identity.introspectionUri());
          if (identity.introspectionClientId() == null || identity.introspectionClientSecretFile() == null) {
            errors.add("identity.introspectionClientId and identity.introspectionClientSecretFile: required for introspection");
          }
        }
        if (identity.audience() == null || !identity.audience().matches("^https?://[^\\s#]+$")) {
          errors.add("identity.audience: required, this server's canonical resource URI (RFC 8707), e.g. https://custos.example.org/mcp");
        }
        if (identity.clockSkewSeconds() < 0 || identity.clockSkewSeconds() > 60) {
          errors.add("identity.clockSkewSeconds: must be 0..60");
        }
        if (identity.algorithms().stream().anyMatch(a -> a.startsWith("HS") || a.equalsIgnoreCase("none"))) {
          errors.add("identity.algorithms: only asymmetric algorithms are allowed (no HS*, no none)");
        }
      }
      default -> errors.add("identity.mode: must be oauth, introspection or development");
    }
    if (identity.idleTimeoutMinutes() < 1 || identity.idleTimeoutMinutes() > 60) {
      errors.add("identity.idleTimeoutMinutes: must be 1..60");
    }
    if (identity.tokenCacheSeconds() < 0 || identity.tokenCacheSeconds() > 300) {
      errors.add("identity.tokenCacheSeconds: must be 0..300");
    }
  }

  private void validateUpstreamAuth(List<String> errors) {
    UpstreamAuth a = upstream.auth() == null ? new UpstreamAuth("none", null, null, null, null, null, null) : upstream.auth();
    switch (a.mode()) {
      case "none" -> {
        return;
      }
      case "client_credentials", "token_exchange" -> {
        requireUrl(errors, "upstream.auth.tokenEndpoint", a.tokenEndpoint());
        if (a.clientId() == null || a.clientId().isBlank()) {
          errors.add("upstream.auth.clientId: required");
        }
        if ((a.clientSecretFile() == null) == (a.privateKeyFile() == null)) {
          errors.add("upstream.auth: exactly one of clientSecretFile and privateKeyFile is required");
        }
        if (a.audience() != null && !a.audience().matches("^https?://[^\\s#]+$")) {
          errors.add("upstream.auth.audience: must be a URL");
        }
        if (a.mode().equals("token_exchange") && !identity.mode().equals("oauth")) {
          errors.add("upstream.auth.mode: token_exchange needs identity.mode oauth (an inbound token to exchange)");
        }
      }
      default -> errors.add("upstream.auth.mode: must be none, client_credentials or token_exchange");
    }
  }

  /** An https URL, or http on a loopback host. */
  private static void requireUrl(List<String> errors, String key, String value) {
    try {
      URI uri = value == null ? null : URI.create(value);
      if (uri == null || !("https".equals(uri.getScheme()) || ("http".equals(uri.getScheme()) && isLoopback(uri.getHost())))) {
        errors.add(key + ": required https URL (plain http only on a loopback host)");
      }
    } catch (IllegalArgumentException e) {
      errors.add(key + ": not a valid URL");
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return host != null && InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
