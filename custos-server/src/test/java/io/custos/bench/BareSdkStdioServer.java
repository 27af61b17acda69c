package io.custos.bench;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.PrintStream;

/**
 * The bare MCP Java SDK server over stdio, the baseline of {@code scripts/bench.sh stdio}: the SDK's
 * {@link StdioServerTransportProvider} (newline-delimited JSON-RPC on standard input and output) and a plain
 * {@code McpServer.sync} with {@link BareSdkServer}'s one tool (same upstream search, same FHIR JSON result). No
 * authentication, policy, audit or filtering. Logs go to standard error; standard output carries only the protocol.
 *
 * <p>Usage: {@code java -cp <test classpath> io.custos.bench.BareSdkStdioServer <fhirBase>}; runs until its parent
 * ends it.
 */
public final class BareSdkStdioServer {
  private BareSdkStdioServer() {}

  public static void main(String[] args) throws Exception {
    PrintStream protocol = System.out;
    System.setOut(System.err); // nothing but the transport writes to the protocol stream
    FhirContext fhir = FhirContext.forR4Cached();
    JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
    McpSyncServer mcp = McpServer.sync(new StdioServerTransportProvider(json, System.in, protocol))
        .serverInfo("bare-sdk-stdio", "1.0").jsonMapper(json)
        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
        .tools(BareSdkServer.conditionsTool(json, BareSdkServer.upstream(fhir, args[0]), fhir))
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(mcp::closeGracefully));
    Thread.currentThread().join();
  }
}
