package io.custos.bench;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import io.custos.mcp.http.SelfSignedCertificate;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.hl7.fhir.r4.model.Resource;

/**
 * Configuration (2) of the overhead benchmark: the bare MCP Java SDK server. The SDK's
 * {@link HttpServletStreamableServerTransportProvider} on Jetty 12 with the same TLS set-up as Custos (TLS 1.3
 * only, self-signed RSA certificate from the same {@link SelfSignedCertificate} code, HTTP/1.1), and a plain
 * {@code McpServer.sync} with one tool, {@code get_active_conditions}, doing the same upstream FHIR search as
 * Custos's tool (the same {@link HapiFhirUpstream} client, {@code POST Condition/_search} with
 * {@code patient}, {@code clinical-status=active}, {@code _count=20}) and returning the matched resources as
 * FHIR JSON text. No authentication, policy, audit or filtering; the driver's {@code Authorization} header is
 * sent but ignored. Prints {@code READY <endpoint>} and runs until standard input closes.
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.BareSdkServer <fhirBase> <dataDir>}
 */
public final class BareSdkServer {
  private BareSdkServer() {}

  public static void main(String[] args) throws Exception {
    String fhirBase = args[0];
    FhirContext fhir = FhirContext.forR4Cached();
    HapiFhirUpstream upstream = upstream(fhir, fhirBase);
    JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
    serve(Path.of(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 0, json, conditionsTool(json, upstream, fhir));
  }

  /**
   * Serves {@code tools} with the bare SDK over HTTPS as described above: prints {@code READY <endpoint>}, then blocks
   * until standard input closes and stops.
   *
   * @param dataDir holds {@code tls/} (the self-signed certificate, created when absent)
   * @param port    TCP port on 127.0.0.1, 0 for any free one
   */
  static void serve(Path dataDir, int port, JacksonMcpJsonMapper json, McpServerFeatures.SyncToolSpecification... tools)
      throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.loadOrCreate(dataDir.resolve("tls"));
    Server server = new Server();
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    SelfSignedCertificate.InMemoryKeyStore keys = cert.load();
    ssl.setKeyStore(keys.store());
    ssl.setKeyStorePassword(new String(keys.password()));
    ssl.setIncludeProtocols("TLSv1.3");
    ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"),
        new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);

    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(json).mcpEndpoint("/mcp").build();
    McpSyncServer mcp = McpServer.sync(transport).serverInfo("bare-sdk", "1.0").jsonMapper(json)
        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
        .tools(tools)
        .build();

    ServletContextHandler context = new ServletContextHandler("/");
    ServletHolder holder = new ServletHolder("mcp", transport);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/mcp");
    server.setHandler(context);
    server.start();
    System.out.println("READY https://127.0.0.1:" + connector.getLocalPort() + "/mcp");
    System.out.flush();
    BenchProcess.awaitStdinClosed();
    mcp.closeGracefully();
    server.stop();
  }

  /** The benchmark's upstream client: the same HAPI client as Custos's, 10 s timeout. */
  static HapiFhirUpstream upstream(FhirContext fhir, String fhirBase) {
    return new HapiFhirUpstream(fhir, fhirBase, Duration.ofSeconds(10), List.of());
  }

  /** The one tool, {@code get_active_conditions(patient_id)}, answered by {@link #conditions}. */
  static McpServerFeatures.SyncToolSpecification conditionsTool(JacksonMcpJsonMapper json, HapiFhirUpstream upstream,
      FhirContext fhir) {
    McpSchema.Tool tool = McpSchema.Tool.builder().name("get_active_conditions")
        .description("Lists the patient's active conditions.")
        .inputSchema(json, """
            {"type":"object","properties":{"patient_id":{"type":"string"}},"required":["patient_id"]}""")
        .build();
    return McpServerFeatures.SyncToolSpecification.builder().tool(tool)
        .callHandler((exchange, request) -> conditions(upstream, fhir.newJsonParser(), request.arguments()))
        .build();
  }

  static McpSchema.CallToolResult conditions(HapiFhirUpstream upstream, IParser parser, Map<String, Object> args) {
    try {
      String patient = String.valueOf(args.get("patient_id"));
      SearchPage page = upstream.execute(new UpstreamRequest.Search("Condition",
          Map.of("patient", List.of(patient), "clinical-status", List.of("active")), 20));
      StringBuilder out = new StringBuilder("{\"patient_id\":\"").append(patient).append("\",\"items\":[");
      for (int i = 0; i < page.resources().size(); i++) {
        Resource r = page.resources().get(i);
        out.append(i == 0 ? "" : ",").append(parser.encodeResourceToString(r));
      }
      out.append("],\"count\":").append(page.resources().size()).append('}');
      return McpSchema.CallToolResult.builder().addTextContent(out.toString()).isError(false).build();
    } catch (RuntimeException e) {
      return McpSchema.CallToolResult.builder().addTextContent("upstream error").isError(true).build();
    }
  }
}
