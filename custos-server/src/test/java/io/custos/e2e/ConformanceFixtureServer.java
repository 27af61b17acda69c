package io.custos.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.auth.DevelopmentAuthenticator;
import io.custos.mcp.http.McpHttpServer;
import io.custos.mcp.http.SelfSignedCertificate;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncCompletionSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.AudioContent;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.GetPromptResult;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Prompt;
import io.modelcontextprotocol.spec.McpSchema.PromptArgument;
import io.modelcontextprotocol.spec.McpSchema.PromptMessage;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.ResourceTemplate;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.SamplingMessage;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TEST ONLY. The tools, resources, templates and prompts the official MCP conformance suite's server
 * scenarios call (see {@code e2e/CONFORMANCE-FIXTURE.md}), mounted on Custos's own HTTP transport stack
 * ({@link McpHttpServer}: request limits, Host/Origin, MCP-Protocol-Version, authentication, error-body
 * sanitising, SDK servlet), so the suite tests that stack rather than a clinical tool set. Never part of
 * the product: the fixture content is exactly what the suite expects and nothing else.
 *
 * <p>{@link #main} runs it standalone for manual iteration: prints the endpoint and CA certificate path.
 */
public final class ConformanceFixtureServer {
  /** 1x1 transparent PNG. */
  static final String PNG_BASE64 =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
  static final String WAV_BASE64 = Base64.getEncoder().encodeToString(silentWav());

  private ConformanceFixtureServer() {}

  /**
   * Starts the fixture on 127.0.0.1 (ephemeral port) over TLS 1.3 with a self-signed certificate kept in
   * {@code certDir} ({@code certificate.pem} there is the CA to trust), development authentication.
   */
  public static McpHttpServer start(Path certDir) throws IOException {
    SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(certDir);
    JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
    McpHttpServer.Settings settings = new McpHttpServer.Settings("127.0.0.1", 0, McpHttpServer.TlsMode.TLS13, cert,
        Set.of(), Set.of(), 4 * 1024 * 1024);
    return McpHttpServer.start(settings, provider -> build(provider, json), json, new DevelopmentAuthenticator(), io.custos.mcp.http.Readiness.none());
  }

  /** Builds the fixture MCP server on the given transport. */
  static McpSyncServer build(McpStreamableServerTransportProvider provider, JacksonMcpJsonMapper json) {
    return McpServer.sync(provider)
        .jsonMapper(json)
        .serverInfo("custos-conformance-fixture", "1.0.0")
        .capabilities(ServerCapabilities.builder().tools(false).resources(true, false).prompts(false).logging().completions()
            .build())
        .tools(tools())
        .resources(resources())
        .resourceTemplates(templates())
        .prompts(prompts())
        .completions(new SyncCompletionSpecification(new PromptReference("test_prompt_with_arguments"), (ex, req) -> {
          String prefix = req.argument() == null || req.argument().value() == null ? "" : req.argument().value();
          List<String> values = List.of("test-value-1", "test-value-2", "example").stream().filter(v -> v.startsWith(prefix))
              .toList();
          return new CompleteResult(new CompleteResult.CompleteCompletion(values, values.size(), false));
        }))
        .build();
  }

  // ---------------------------------------------------------------- tools

  private static List<SyncToolSpecification> tools() {
    List<SyncToolSpecification> t = new ArrayList<>();
    t.add(tool("test_simple_text", "Returns a simple text response", emptySchema(),
        (ex, req) -> text("This is a simple text response for testing.")));
    t.add(tool("test_image_content", "Returns an image (1x1 PNG)", emptySchema(),
        (ex, req) -> result(new ImageContent(null, PNG_BASE64, "image/png"))));
    t.add(tool("test_audio_content", "Returns audio (short silent WAV)", emptySchema(),
        (ex, req) -> result(new AudioContent(null, WAV_BASE64, "audio/wav"))));
    t.add(tool("test_embedded_resource", "Returns an embedded text resource", emptySchema(),
        (ex, req) -> result(new EmbeddedResource(null,
            new TextResourceContents("test://embedded-resource", "text/plain", "This is an embedded resource content.")))));
    t.add(tool("test_multiple_content_types", "Returns text, an image and an embedded resource", emptySchema(),
        (ex, req) -> result(new TextContent("Multiple content types test:"), new ImageContent(null, PNG_BASE64, "image/png"),
            new EmbeddedResource(null, new TextResourceContents("test://mixed-content-resource", "application/json",
                "{\"test\":\"data\",\"value\":123}")))));
    t.add(tool("test_tool_with_logging", "Sends three log notifications while running", emptySchema(), (ex, req) -> {
      log(ex, "Tool execution started");
      sleep(50);
      log(ex, "Tool processing data");
      sleep(50);
      log(ex, "Tool execution completed");
      return text("Tool with logging executed successfully");
    }));
    t.add(tool("test_error_handling", "Always returns an error result", emptySchema(),
        (ex, req) -> CallToolResult.builder().addTextContent("This tool intentionally returns an error for testing")
            .isError(true).build()));
    t.add(tool("test_tool_with_progress", "Reports progress 0, 50, 100", emptySchema(), (ex, req) -> {
      Object token = progressToken(req);
      for (int p = 0; p <= 100; p += 50) {
        if (token != null) {
          ex.progressNotification(new ProgressNotification(token, (double) p, 100.0, "Progress " + p + "%"));
        }
        if (p < 100) {
          sleep(50);
        }
      }
      return text("Progress tool completed");
    }));
    t.add(tool("test_sampling", "Asks the client's LLM via sampling/createMessage",
        objectSchema(Map.of("prompt", Map.of("type", "string", "description", "The prompt to send")), List.of("prompt")),
        (ex, req) -> {
          String prompt = String.valueOf(args(req).getOrDefault("prompt", ""));
          CreateMessageResult r = ex.createMessage(CreateMessageRequest.builder(
              List.of(new SamplingMessage(Role.USER, new TextContent(prompt))), 100).build());
          String answer = r.content() instanceof TextContent tc ? tc.text() : String.valueOf(r.content());
          return text("LLM response: " + answer);
        }));
    t.add(tool("test_elicitation", "Asks the user for a username and email via elicitation/create",
        objectSchema(Map.of("message", Map.of("type", "string", "description", "The message to show")), List.of("message")),
        (ex, req) -> {
          Map<String, Object> schema = map("type", "object",
              "properties", map("username", map("type", "string", "description", "User's response"),
                  "email", map("type", "string", "description", "User's email address")),
              "required", List.of("username", "email"));
          ElicitResult r = ex.createElicitation(ElicitRequest.builder(String.valueOf(args(req).getOrDefault("message", "")),
              schema).build());
          return text("User response: action=" + action(r) + ", content=" + r.content());
        }));
    t.add(tool("test_elicitation_sep1034_defaults", "Elicitation with default values for every primitive type (SEP-1034)",
        emptySchema(), (ex, req) -> {
          Map<String, Object> schema = map("type", "object",
              "properties", map(
                  "name", map("type", "string", "default", "John Doe"),
                  "age", map("type", "integer", "default", 30),
                  "score", map("type", "number", "default", 95.5),
                  "status", map("type", "string", "enum", List.of("active", "inactive", "pending"), "default", "active"),
                  "verified", map("type", "boolean", "default", true)),
              "required", List.of());
          ElicitResult r = ex.createElicitation(ElicitRequest.builder("Please review and update the form fields with defaults",
              schema).build());
          return text("Elicitation completed: action=" + action(r) + ", content=" + r.content());
        }));
    t.add(tool("test_elicitation_sep1330_enums", "Elicitation with every enum schema variant (SEP-1330)", emptySchema(),
        (ex, req) -> {
          Map<String, Object> schema = map("type", "object",
              "properties", map(
                  "untitledSingle", map("type", "string", "enum", List.of("option1", "option2", "option3")),
                  "titledSingle", map("type", "string", "oneOf", List.of(
                      map("const", "value1", "title", "First Option"),
                      map("const", "value2", "title", "Second Option"),
                      map("const", "value3", "title", "Third Option"))),
                  "legacyEnum", map("type", "string", "enum", List.of("opt1", "opt2", "opt3"),
                      "enumNames", List.of("Option One", "Option Two", "Option Three")),
                  "untitledMulti", map("type", "array", "minItems", 1, "maxItems", 3,
                      "items", map("type", "string", "enum", List.of("option1", "option2", "option3"))),
                  "titledMulti", map("type", "array", "minItems", 1, "maxItems", 3,
                      "items", map("anyOf", List.of(
                          map("const", "value1", "title", "First Choice"),
                          map("const", "value2", "title", "Second Choice"),
                          map("const", "value3", "title", "Third Choice"))))),
              "required", List.of());
          ElicitResult r = ex.createElicitation(ElicitRequest.builder("Please select options from the enum fields", schema)
              .build());
          return text("Elicitation completed: action=" + action(r) + ", content=" + r.content());
        }));
    t.add(tool("json_schema_2020_12_tool", "Tool whose input schema uses JSON Schema 2020-12 features",
        map("$schema", "https://json-schema.org/draft/2020-12/schema",
            "type", "object",
            "$defs", map("address", map("type", "object",
                "properties", map("street", map("type", "string"), "city", map("type", "string")))),
            "properties", map("name", map("type", "string"), "address", map("$ref", "#/$defs/address")),
            "additionalProperties", false),
        (ex, req) -> text("JSON Schema 2020-12 tool called with " + args(req))));
    t.add(tool("test_reconnection", "Sleeps briefly, for the SSE polling/reconnection scenario (SEP-1699)", emptySchema(),
        (ex, req) -> {
          sleep(500);
          return text("Reconnection test completed");
        }));
    return t;
  }

  private static SyncToolSpecification tool(String name, String description, Map<String, Object> inputSchema,
      BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
    return SyncToolSpecification.builder().tool(Tool.builder().name(name).description(description).inputSchema(inputSchema)
        .build()).callHandler(handler).build();
  }

  private static Map<String, Object> emptySchema() {
    return map("type", "object", "properties", map());
  }

  private static Map<String, Object> objectSchema(Map<String, Object> properties, List<String> required) {
    return map("type", "object", "properties", properties, "required", required);
  }

  private static CallToolResult text(String text) {
    return result(new TextContent(text));
  }

  private static CallToolResult result(Content... content) {
    return CallToolResult.builder().content(List.of(content)).isError(false).build();
  }

  private static Map<String, Object> args(CallToolRequest req) {
    return req.arguments() == null ? Map.of() : req.arguments();
  }

  private static Object progressToken(CallToolRequest req) {
    return req.meta() == null ? null : req.meta().get("progressToken");
  }

  private static String action(ElicitResult r) {
    return r.action() == null ? "null" : r.action().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static void log(McpSyncServerExchange ex, String message) {
    ex.loggingNotification(new LoggingMessageNotification(LoggingLevel.INFO, "conformance-fixture", message));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- resources

  private static List<SyncResourceSpecification> resources() {
    return List.of(
        new SyncResourceSpecification(Resource.builder("test://static-text", "Static Text Resource")
            .description("A static text resource for testing").mimeType("text/plain").build(),
            (ex, req) -> new ReadResourceResult(List.of(new TextResourceContents("test://static-text", "text/plain",
                "This is the content of the static text resource.")))),
        new SyncResourceSpecification(Resource.builder("test://static-binary", "Static Binary Resource")
            .description("A static binary resource (image) for testing").mimeType("image/png").build(),
            (ex, req) -> new ReadResourceResult(List.of(new BlobResourceContents("test://static-binary", "image/png",
                PNG_BASE64)))),
        new SyncResourceSpecification(Resource.builder("test://watched-resource", "Watched Resource")
            .description("A resource for subscription testing").mimeType("text/plain").build(),
            (ex, req) -> new ReadResourceResult(List.of(new TextResourceContents("test://watched-resource", "text/plain",
                "Watched resource content")))));
  }

  private static final Pattern TEMPLATE_URI = Pattern.compile("^test://template/([^/]+)/data$");

  private static List<SyncResourceTemplateSpecification> templates() {
    return List.of(new SyncResourceTemplateSpecification(
        ResourceTemplate.builder("test://template/{id}/data", "Template Resource")
            .description("A resource template with an id parameter").mimeType("application/json").build(),
        (ex, req) -> {
          Matcher m = TEMPLATE_URI.matcher(req.uri());
          String id = m.matches() ? m.group(1) : "unknown";
          String body = "{\"id\":\"" + id + "\",\"templateTest\":true,\"data\":\"Data for ID: " + id + "\"}";
          return new ReadResourceResult(List.of(new TextResourceContents(req.uri(), "application/json", body)));
        }));
  }

  // ---------------------------------------------------------------- prompts

  private static List<SyncPromptSpecification> prompts() {
    return List.of(
        new SyncPromptSpecification(new Prompt("test_simple_prompt", "A simple prompt without arguments", List.of()),
            (ex, req) -> new GetPromptResult(null, List.of(new PromptMessage(Role.USER,
                new TextContent("This is a simple prompt for testing."))))),
        new SyncPromptSpecification(new Prompt("test_prompt_with_arguments", "A prompt with two required arguments",
            List.of(new PromptArgument("arg1", "First test argument", true),
                new PromptArgument("arg2", "Second test argument", true))),
            (ex, req) -> {
              Map<String, Object> a = req.arguments() == null ? Map.of() : req.arguments();
              return new GetPromptResult(null, List.of(new PromptMessage(Role.USER, new TextContent(
                  "Prompt with arguments: arg1='" + a.get("arg1") + "', arg2='" + a.get("arg2") + "'"))));
            }),
        new SyncPromptSpecification(new Prompt("test_prompt_with_embedded_resource", "A prompt embedding a resource",
            List.of(new PromptArgument("resourceUri", "URI of the resource to embed", true))),
            (ex, req) -> {
              Object uri = req.arguments() == null ? null : req.arguments().get("resourceUri");
              String u = uri == null ? "test://example-resource" : uri.toString();
              return new GetPromptResult(null, List.of(
                  new PromptMessage(Role.USER, new EmbeddedResource(null,
                      new TextResourceContents(u, "text/plain", "Embedded resource content for testing."))),
                  new PromptMessage(Role.USER, new TextContent("Please process the embedded resource above."))));
            }),
        new SyncPromptSpecification(new Prompt("test_prompt_with_image", "A prompt with image content", List.of()),
            (ex, req) -> new GetPromptResult(null, List.of(
                new PromptMessage(Role.USER, new ImageContent(null, PNG_BASE64, "image/png")),
                new PromptMessage(Role.USER, new TextContent("Please analyze the image above."))))));
  }

  // ---------------------------------------------------------------- helpers

  /** Insertion-ordered map from alternating keys and values (Map.of forbids nulls and has no order). */
  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** 0.1 s of 8 kHz 8-bit mono silence as a RIFF/WAVE file. */
  private static byte[] silentWav() {
    int samples = 800;
    ByteBuffer b = ByteBuffer.allocate(44 + samples).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(36 + samples)
        .put("WAVE".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
        .putInt(8000).putInt(8000).putShort((short) 1).putShort((short) 8)
        .put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(samples);
    for (int i = 0; i < samples; i++) {
      b.put((byte) 0x80);
    }
    return b.array();
  }

  /** Standalone run for manual iteration: {@code java -cp ... io.custos.e2e.ConformanceFixtureServer [certDir]}. */
  public static void main(String[] argv) throws Exception {
    Path dir = argv.length > 0 ? Path.of(argv[0]) : Files.createTempDirectory("custos-conformance-fixture");
    McpHttpServer server = start(dir);
    System.out.println("endpoint " + server.endpoint());
    System.out.println("ca " + dir.resolve("certificate.pem"));
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    Thread.currentThread().join();
  }
}
