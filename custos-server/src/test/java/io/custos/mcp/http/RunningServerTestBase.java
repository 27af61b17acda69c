package io.custos.mcp.http;

import java.net.http.HttpClient;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared lifecycle of the HTTP tests that need one running Custos per class: TLS 1.3 on loopback over the
 * fixture FHIR store (see {@link HttpTestSupport#start}), a client trusting only its certificate, and an
 * initialized MCP session.
 */
abstract class RunningServerTestBase {
  @TempDir
  static Path dataDir;
  static HttpTestSupport.Running server;
  static HttpClient client;
  static HttpTestSupport.Session session;

  @BeforeAll
  static void startServer() throws Exception {
    server = HttpTestSupport.start(dataDir, "tls13", false);
    client = HttpTestSupport.client(server.ssl());
    session = HttpTestSupport.Session.open(client, server.endpoint());
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }
}
