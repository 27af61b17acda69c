package io.custos.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

/**
 * An embedded PostgreSQL that a test can stop and start again on the same data directory and port, so clients keep
 * their JDBC URL across the outage (tests of failing closed and resuming).
 */
public final class RestartablePostgres {
  private final Path dataDirectory;
  private final int port;

  /** @param dataDirectory where the cluster lives (kept across restarts) */
  public RestartablePostgres(Path dataDirectory) throws IOException {
    this.dataDirectory = dataDirectory;
    this.port = freePort();
  }

  /** A loopback TCP port nothing listens on right now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  public int port() {
    return port;
  }

  /** Starts the server (again), on the same data directory and port. */
  public EmbeddedPostgres start() throws IOException {
    return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDirectory).setCleanDataDirectory(false)
        .setRegisterShutdownHook(true).start();
  }
}
