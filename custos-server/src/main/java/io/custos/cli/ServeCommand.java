package io.custos.cli;

import io.custos.config.CustosConfig;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custos serve}: runs the MCP server over Streamable HTTP (default) or stdio. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the MCP server.")
final class ServeCommand implements Callable<Integer> {
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
    if (stdio) {
      var server = app.mcp().start(new StdioServerTransportProvider(app.jsonMapper()), () -> app.stdioCaller(tokenFile));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.closeGracefully();
        app.close();
        stop.countDown();
      }));
    } else {
      var http = app.startHttp(tls12);
      System.err.println("custos: listening on " + http.endpoint());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        http.close();
        app.close();
        stop.countDown();
      }));
    }
    stop.await();
    return 0;
  }
}
