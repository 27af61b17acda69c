package io.custos.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real MariaDB server from Debian's {@code mariadb-server} package ({@code mariadb-install-db}, then {@code mariadbd}),
 * in a temporary data directory, listening on a free port of 127.0.0.1 and a socket of its own, with the grant tables
 * in force. One database, {@value #DATABASE}, and one administrator, {@value #ADMIN}{@code @127.0.0.1}, holding every
 * privilege with the grant option and a random password; created by the server's {@code --init-file} at start.
 * {@link #close()} stops the server (SIGTERM, a clean shutdown) and deletes the directory.
 */
public final class MariaDbServer implements AutoCloseable {
  public static final String DATABASE = "legacy";
  public static final String ADMIN = "custos_admin";
  private static final List<Path> SEARCH = List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/usr/local/sbin"),
      Path.of("/usr/local/bin"));

  private final Path dir;
  private final int port;
  private final String adminPassword;
  private final Process process;

  private MariaDbServer(Path dir, int port, String adminPassword, Process process) {
    this.dir = dir;
    this.port = port;
    this.adminPassword = adminPassword;
    this.process = process;
  }

  /**
   * Initialises a data directory and starts the server; returns once the administrator can connect.
   *
   * @throws IllegalStateException when the binaries are missing (naming the package to install), or the server does
   *                               not start within 60 s (with the tail of its error log)
   */
  public static MariaDbServer start() throws IOException, InterruptedException {
    Path installDb = binary("mariadb-install-db");
    Path mariadbd = binary("mariadbd");
    Path dir = Files.createTempDirectory("custos-mariadb");
    boolean root = "root".equals(System.getProperty("user.name"));
    List<String> install = new ArrayList<>(List.of(installDb.toString(), "--no-defaults", "--datadir=" + dir.resolve("data"),
        "--skip-test-db"));
    if (root) {
      install.add("--user=root");
    }
    Process init = new ProcessBuilder(install).redirectErrorStream(true).redirectOutput(dir.resolve("install.log").toFile())
        .start();
    if (!init.waitFor(120, TimeUnit.SECONDS) || init.exitValue() != 0) {
      init.destroyForcibly();
      throw new IllegalStateException("mariadb-install-db failed:\n" + tail(dir.resolve("install.log")));
    }
    byte[] secret = new byte[18];
    new SecureRandom().nextBytes(secret);
    String password = HexFormat.of().formatHex(secret);
    Path initFile = dir.resolve("init.sql");
    Files.writeString(initFile, "CREATE DATABASE IF NOT EXISTS " + DATABASE + ";\n"
        + "CREATE USER IF NOT EXISTS '" + ADMIN + "'@'127.0.0.1' IDENTIFIED BY '" + password + "';\n"
        + "GRANT ALL PRIVILEGES ON *.* TO '" + ADMIN + "'@'127.0.0.1' WITH GRANT OPTION;\n");
    int port = RestartablePostgres.freePort();
    List<String> command = new ArrayList<>(List.of(mariadbd.toString(), "--no-defaults", "--datadir=" + dir.resolve("data"),
        "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("mariadb.sock"),
        "--pid-file=" + dir.resolve("mariadb.pid"), "--log-error=" + dir.resolve("error.log"), "--init-file=" + initFile,
        // Accounts are matched by address (127.0.0.1), never by a reverse lookup of it.
        "--skip-name-resolve", "--innodb-buffer-pool-size=32M", "--max-connections=40",
        // Debian's packaged defaults (--no-defaults skips its configuration files): Unicode text.
        "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"));
    if (root) {
      command.add("--user=root");
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("console.log").toFile()).start();
    MariaDbServer server = new MariaDbServer(dir, port, password, process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Connection c = server.admin()) {
        return server;
      } catch (SQLException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          String log = tail(dir.resolve("error.log"));
          server.close();
          throw new IllegalStateException("mariadbd did not start:\n" + log);
        }
        Thread.sleep(200);
      }
    }
  }

  private static Path binary(String name) {
    Optional<Path> found = SEARCH.stream().map(d -> d.resolve(name)).filter(Files::isExecutable).findFirst();
    return found.orElseThrow(() -> new IllegalStateException(name + " is not installed: the MariaDB tests run a real "
        + "MariaDB server from Debian's package; install it with `apt-get install mariadb-server`"));
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** The JDBC URL of {@value #DATABASE}, without credentials. */
  public String jdbcUrl() {
    return "jdbc:mariadb://127.0.0.1:" + port + "/" + DATABASE;
  }

  /** The administrator's password. */
  public String adminPassword() {
    return adminPassword;
  }

  /** A new connection of the administrator to {@value #DATABASE} (auto-commit). */
  public Connection admin() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), ADMIN, adminPassword);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
