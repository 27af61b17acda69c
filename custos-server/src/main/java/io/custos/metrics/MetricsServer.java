package io.custos.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The management listener: {@code GET /metrics} answers the Prometheus text exposition format (version 0.0.4) over
 * plain HTTP on a loopback address; any other method is 405, any other path 404. Separate from the MCP listener so
 * that scraping needs no access token and the MCP port carries no operational data.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts the listener on one virtual-thread-per-request executor.
   *
   * @param port 0 for an ephemeral port
   * @throws IOException if the address cannot be bound
   */
  public static MetricsServer start(String host, int port, CustosMetrics metrics) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 16);
    s.createContext("/metrics", ex -> {
      try (ex) {
        if (!ex.getRequestURI().getPath().equals("/metrics")) {
          ex.sendResponseHeaders(404, -1);
          return;
        }
        if (!ex.getRequestMethod().equals("GET")) {
          ex.getResponseHeaders().set("Allow", "GET");
          ex.sendResponseHeaders(405, -1);
          return;
        }
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    });
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.start();
    return new MetricsServer(s);
  }

  /** {@code http://<host>:<port>/metrics}. */
  public URI endpoint() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/metrics");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
