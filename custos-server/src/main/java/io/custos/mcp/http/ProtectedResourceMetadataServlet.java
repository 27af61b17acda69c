package io.custos.mcp.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) at {@code /.well-known/oauth-protected-resource/mcp}
 * and the root form, so MCP clients can discover which authorization server issues tokens for this
 * resource (MCP 2025-11-25 authorization, "Authorization Server Discovery").
 */
final class ProtectedResourceMetadataServlet extends HttpServlet {
  private final byte[] body;

  /**
   * @param metadata the resource's identity: canonical URI, authorization servers, scopes
   */
  ProtectedResourceMetadataServlet(McpHttpServer.ResourceMetadata metadata) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("resource", metadata.resource());
    m.put("authorization_servers", metadata.authorizationServers());
    m.put("scopes_supported", metadata.scopesSupported());
    m.put("bearer_methods_supported", List.of("header"));
    m.put("resource_name", "Custos");
    this.body = new ObjectMapper().writeValueAsBytes(m);
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    res.setContentType("application/json");
    res.setContentLength(body.length);
    res.getOutputStream().write(body);
  }
}
