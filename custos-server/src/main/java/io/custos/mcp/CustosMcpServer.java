package io.custos.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import io.custos.pipeline.Admission;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import io.custos.tools.Route;
import io.custos.tools.ToolManifest;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpServerTransportProvider;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * The MCP 2025-11-25 front (Java SDK 2.1.0): offers every tool, prompt and resource of the pipeline's registry and
 * hands each call to the {@link GovernancePipeline}. The SDK's own input validation is off so that rejected arguments
 * are audited like any other refusal. A write tool's proposal is put to the user at once when the client declared
 * form-mode elicitation; the answer and the commit are governed calls of their own.
 */
public final class CustosMcpServer {
  public static final String POLICY_URI = "custos://policy";
  public static final String NAME = Catalog.NAME;

  private final GovernancePipeline pipeline;
  private final McpJsonMapper jsonMapper;
  private final Catalog catalog;
  private final Settings settings;
  private volatile Supplier<Optional<Caller>> stdioIdentity = Optional::empty;

  /**
   * What the front offers.
   *
   * @param writesOffered       false in read-only mode: write tools are not listed (and are refused by the pipeline)
   * @param elicitationApproval whether a proposal is put to the user by MCP elicitation when the client supports it
   */
  public record Settings(boolean writesOffered, boolean elicitationApproval) {}

  public CustosMcpServer(GovernancePipeline pipeline, ObjectMapper objectMapper, McpJsonMapper jsonMapper, String version,
      Settings settings) {
    this.pipeline = pipeline;
    this.jsonMapper = jsonMapper;
    this.catalog = new Catalog(pipeline, objectMapper, version, settings.writesOffered());
    this.settings = settings;
    // Tool manifest pinning: announce exactly which declarations this server exposes.
    var manifest = ToolManifest.of(pipeline.registry());
    LoggerFactory.getLogger(CustosMcpServer.class).info("tool manifest sha256={} policyVersion={} declarations={} pinned={}",
        manifest.sha256(), ToolManifest.POLICY_VERSION, manifest.toolCount(), manifest.matchesPolicyVersion());
  }

  /** Server over Streamable HTTP. */
  public McpSyncServer start(McpStreamableServerTransportProvider provider) {
    return configure(McpServer.sync(provider)).build();
  }

  /**
   * Server over stdio (single session). The stdio transport has no per-request context, so the caller is
   * established by {@code stdioIdentity} on every call, with the same checks as HTTP.
   *
   * @param stdioIdentity authenticates the local credential (e.g. the token in the environment) per call
   */
  public McpSyncServer start(McpServerTransportProvider provider, Supplier<Optional<Caller>> stdioIdentity) {
    this.stdioIdentity = stdioIdentity;
    return configure(McpServer.sync(provider)).build();
  }

  /**
   * Server over stdio as {@code custos serve --stdio} runs it: {@link StdioInboundFilter} on {@code in} (every line
   * answered, undeclared tool, prompt and resource names audited as refusals, as the HTTP gate does) and
   * {@link StdioErrorFilter} on {@code out} (no request value in any error). A message carrying its own protocol
   * envelope (MCP 2026-07-28) is answered by {@code envelopes} instead of the SDK.
   *
   * @param identity  authenticates the local credential on every call
   * @param envelopes the 2026-07-28 front
   */
  public McpSyncServer startStdio(InputStream in, OutputStream out, Supplier<Optional<Caller>> identity,
      EnvelopeFront envelopes) {
    StdioErrorFilter replies = new StdioErrorFilter(out);
    StdioInboundFilter filtered = new StdioInboundFilter(in, replies, StdioInboundFilter.DEFAULT_MAX_BYTES,
        message -> InboundMessages.governed(message)
            .filter(g -> pipeline.registry().find(g.getKey(), g.getValue()).isEmpty())
            .ifPresent(g -> pipeline.admit(g.getKey(), new ToolCall(g.getValue(), Map.of(), identity.get(), null, "stdio"))),
        envelopes.forStdio(identity));
    return start(new StdioServerTransportProvider(jsonMapper, filtered, replies), identity);
  }

  /** What the 2025-11-25 front offers and how it renders results, shared with the 2026-07-28 front. */
  public Catalog catalog() {
    return catalog;
  }

  private <S extends McpServer.SyncSpecification<S>> McpServer.SyncSpecification<S> configure(McpServer.SyncSpecification<S> spec) {
    var registry = pipeline.registry();
    return spec.serverInfo(catalog.serverInfo())
        .jsonMapper(jsonMapper)
        .validateToolInputs(false)
        .requestTimeout(Duration.ofSeconds(60))
        .instructions(Catalog.INSTRUCTIONS)
        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).resources(false, false).prompts(false).build())
        .tools(catalog.offered(Declaration.Kind.TOOL).stream().map(this::tool).toList())
        // tools/list shows a caller only the tools its role and scopes permit (calls are checked in full).
        .addToolFilter((ctx, tool) -> registry.find(Declaration.Kind.TOOL, tool.name())
            .map(d -> pipeline.visible(callerOf(ctx), d)).orElse(false))
        .resources(catalog.offered(Declaration.Kind.RESOURCE).stream().map(this::resource).toList())
        .prompts(catalog.offered(Declaration.Kind.PROMPT).stream().map(this::prompt).toList());
  }

  private McpServerFeatures.SyncToolSpecification tool(Declaration d) {
    return McpServerFeatures.SyncToolSpecification.builder().tool(Catalog.tool(d))
        .callHandler((exchange, request) -> {
          ToolCall call = toCall(exchange, request.name(), request.arguments());
          ToolOutcome outcome = pipeline.handle(call);
          if (d.route() == Route.WRITE_PROPOSE && !outcome.isError() && settings.elicitationApproval()
              && "pending_approval".equals(outcome.structured().get("status"))) {
            return Catalog.toolResult(ElicitedApproval.asker(exchange)
                .map(ask -> ElicitedApproval.decide(pipeline, call, outcome, ask)).orElse(outcome));
          }
          return Catalog.toolResult(outcome);
        })
        .build();
  }

  private McpServerFeatures.SyncPromptSpecification prompt(Declaration d) {
    return new McpServerFeatures.SyncPromptSpecification(Catalog.prompt(d), (exchange, request) -> {
      ToolOutcome out = pipeline.handle(Declaration.Kind.PROMPT, toCall(exchange, d.name(), request.arguments()));
      return Catalog.promptResult(d, out).orElseThrow(() -> refused(out));
    });
  }

  private McpServerFeatures.SyncResourceSpecification resource(Declaration d) {
    return new McpServerFeatures.SyncResourceSpecification(Catalog.resource(d), (exchange, request) -> {
      ToolOutcome out = pipeline.handle(Declaration.Kind.RESOURCE, toCall(exchange, d.name(), Map.of()));
      return catalog.resourceResult(d, out).orElseThrow(() -> refused(out));
    });
  }

  /** A refused prompt or resource read is a JSON-RPC error carrying the pipeline's fixed sentence. */
  private static McpError refused(ToolOutcome out) {
    return McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS).message(out.text()).build();
  }

  private ToolCall toCall(McpSyncServerExchange exchange, String name, Map<String, Object> arguments) {
    McpTransportContext ctx = exchange.transportContext();
    Object source = ctx.get(CallerContext.SOURCE_ADDRESS);
    ToolCall call = new ToolCall(name, arguments, callerOf(ctx), exchange.sessionId(), source == null ? "stdio" : source.toString());
    return ctx.get(CallerContext.ADMISSION) instanceof Admission a ? call.admitted(a) : call;
  }

  /** HTTP: the caller the authentication filter established for this request; stdio: authenticated now. */
  private Optional<Caller> callerOf(McpTransportContext ctx) {
    return ctx.get(CallerContext.SOURCE_ADDRESS) == null ? stdioIdentity.get() : CallerContext.caller(ctx::get);
  }

  /** The policy document served as {@value #POLICY_URI} (tests and {@code custos policy check}). */
  public Map<String, Object> policy() {
    return io.custos.tools.PolicyDocument.of(pipeline.registry());
  }

  /** Whether a pending proposal is put to the user in the client (elicitation; a multi-round-trip request in 2026-07-28). */
  public boolean elicitationApproval() {
    return settings.elicitationApproval();
  }
}
