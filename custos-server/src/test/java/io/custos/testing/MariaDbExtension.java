package io.custos.testing;

import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real MariaDB server ({@link MariaDbServer}, Debian's {@code mariadb-server}) for one test class, started before its
 * tests and stopped after: {@code @RegisterExtension static final MariaDbExtension MARIADB = new MariaDbExtension();}.
 * Without the binaries the class fails, naming {@code apt-get install mariadb-server}.
 */
public final class MariaDbExtension implements BeforeAllCallback, AfterAllCallback {
  private MariaDbServer server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = MariaDbServer.start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.close();
    }
  }

  /** The server. */
  public MariaDbServer server() {
    return server;
  }

  /** A new connection of the administrator (every privilege) to the server's database. */
  public Connection admin() throws SQLException {
    return server.admin();
  }
}
