package io.custos.cli;

import io.custos.config.CustosConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custos serve}: runs the MCP server over Streamable HTTP (default) or stdio. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the MCP server.")
final class ServeCommand implements Callable<Integer> {
  /** How long a shutdown waits for admitted calls (under Kubernetes' default 30 s termination grace period). */
  static final java.time.Duration DRAIN_TIMEOUT = java.time.Duration.ofSeconds(20);
  @Option(names = "--config", required = true, description = "Path to custos.yaml.")
  Path config;

  @Option(names = "--stdio", description = "Serve one client over standard input/output instead of HTTP.")
  boolean stdio;

  @Option(names = "--token-file", description = "stdio: file holding the bearer access token (default: env CUSTOS_TOKEN).")
  Path tokenFile;

  @Option(names = "--tls12", description = "Also accept TLS 1.2 (default: TLS 1.3 only).")
  boolean tls12;

  @Override
  public Integer call() throws Exception {
    CustosConfig cfg = CustosConfig.load(config);
    ServerAssembly app = new ServerAssembly(cfg);
    CountDownLatch stop = new CountDownLatch(1);
    var metrics = app.startMetrics();
    metrics.ifPresent(m -> System.err.println("custos: metrics on " + m.endpoint()));
    if (stdio) {
      // The client owns our lifetime: when it closes standard input, the server ends (no orphaned processes).
      var in = new java.io.FilterInputStream(System.in) {
        @Override
        public int read() throws java.io.IOException {
          int b = super.read();
          if (b < 0) {
            stop.countDown();
          }
          return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws java.io.IOException {
          int n = super.read(buf, off, len);
          if (n < 0) {
            stop.countDown();
          }
          return n;
        }
      };
      var server = app.mcp().startStdio(in, System.out, () -> app.stdioCaller(tokenFile), app.envelopes());
      var closed = new java.util.concurrent.atomic.AtomicBoolean();
      Runnable close = () -> {
        if (closed.compareAndSet(false, true)) {
          metrics.ifPresent(io.custos.metrics.MetricsServer::close);
          server.closeGracefully();
          app.close(); // writes the final signed checkpoint
        }
      };
      Runtime.getRuntime().addShutdownHook(new Thread(close));
      stop.await();
      close.run();
      return 0;
    } else {
      var http = app.startHttp(tls12);
      System.err.println("custos: listening on " + http.endpoint());
      // SIGTERM (Kubernetes, systemd, a balancer's drain): readiness turns false and new calls get a retryable 503 at
      // once, admitted calls finish (bounded), then the server stops and the ledger writes its final checkpoint.
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        System.err.println("custos: shutting down: refusing new calls, waiting for calls in flight");
        try {
          int left = http.drain(DRAIN_TIMEOUT);
          if (left > 0) {
            System.err.println("custos: " + left + " call(s) still running after " + DRAIN_TIMEOUT.toSeconds() + " s; stopping");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        metrics.ifPresent(io.custos.metrics.MetricsServer::close);
        http.close();
        app.close();
        System.err.println("custos: stopped; final checkpoint written");
        stop.countDown();
      }));
    }
    stop.await();
    return 0;
  }
}
