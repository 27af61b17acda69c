package io.custos.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI image tarball that {@code jib:buildTar} writes in {@code package}: its configuration (OCI image spec v1.1:
 * index, manifest, config), the content of its layers, and — where this test runs as root with util-linux
 * {@code unshare} — the image's own file system started as a container would start it: its root read-only, as the
 * image's non-root user, with only {@code /data} and {@code /tmp} writable, so that the bundled runtime and glibc
 * (not the build host's) run the server.
 */
class ImageTarballIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IMAGE_USER = "65532:65532";

  @TempDir
  static Path work;
  static JsonNode config;
  static Path rootfs;

  @BeforeAll
  static void unpack() throws Exception {
    String tar = System.getProperty("custos.image.tar");
    assumeTrue(tar != null && Files.isRegularFile(Path.of(tar)), "image tarball not built (-Djib.skip)");
    Path layout = work.resolve("layout");
    Files.createDirectories(layout);
    run(List.of("tar", "-xf", tar, "-C", layout.toString()), Duration.ofMinutes(2));
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode manifest = JSON.readTree(blob(layout, index.at("/manifests/0/digest").asText()).toFile());
    config = JSON.readTree(blob(layout, manifest.at("/config/digest").asText()).toFile());
    // A scratch base has no whiteouts to apply: the layers, extracted in order, are the container's file system.
    rootfs = work.resolve("rootfs");
    Files.createDirectories(rootfs);
    for (JsonNode layer : manifest.get("layers")) {
      assertThat(layer.get("mediaType").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip");
      run(List.of("tar", "-xzf", blob(layout, layer.get("digest").asText()).toString(), "-C", rootfs.toString(),
          "--warning=no-unknown-keyword"), Duration.ofMinutes(2));
    }
  }

  private static Path blob(Path layout, String digest) {
    assertThat(digest).startsWith("sha256:");
    return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  @Test
  void runsAsANumericNonRootUser() {
    String user = config.at("/config/User").asText();
    assertThat(user).isEqualTo(IMAGE_USER);
    assertThat(Integer.parseInt(user.split(":")[0])).isPositive();
  }

  @Test
  void entrypointIsTheBundledRuntimeRunningTheCli() {
    List<String> entrypoint = strings(config.at("/config/Entrypoint"));
    assertThat(entrypoint.getFirst()).isEqualTo("/opt/java/bin/java");
    assertThat(entrypoint).contains("-Djava.awt.headless=true", "@/app/jib-classpath-file")
        .endsWith("io.custos.cli.CustosCli");
    assertThat(strings(config.at("/config/Cmd"))).containsExactly("serve", "--config", "/etc/custos/custos.yaml");
    assertThat(config.at("/config/ExposedPorts").has("8443/tcp")).isTrue();
    assertThat(config.at("/config/Volumes").has("/data")).isTrue();
    assertThat(config.at("/config/Volumes").has("/tmp")).isTrue();
  }

  @Test
  void hasNoShellAndNoPackageManager() {
    for (String path : List.of("bin/sh", "bin/bash", "usr/bin", "bin/busybox", "usr/bin/apt", "sbin")) {
      assertThat(rootfs.resolve(path)).as(path).doesNotExist();
    }
    // Nothing executable outside the Java runtime and the dynamic loader.
    try (Stream<Path> files = Files.walk(rootfs)) {
      List<String> executables = files.filter(Files::isRegularFile).filter(ImageTarballIT::executable)
          .map(p -> "/" + rootfs.relativize(p)).filter(p -> !p.startsWith("/opt/java/"))
          .filter(p -> !p.startsWith("/lib/x86_64-linux-gnu/")).toList();
      assertThat(executables).containsExactly("/lib64/ld-linux-x86-64.so.2");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void layersHoldTheServerItsLibrariesAndTheRuntime() throws IOException {
    List<String> classpath = List.of(Files.readString(rootfs.resolve("app/jib-classpath-file")).trim().split(":"));
    // Jar names differ between a reactor build (finalName) and one from the local repository; their classes do not.
    assertThat(classpath).anyMatch(jar -> holds(jar, "io/custos/cli/CustosCli.class"))
        .anyMatch(jar -> holds(jar, "io/custos/verify/VerifyMain.class"))
        .anyMatch(jar -> holds(jar, "org/eclipse/jetty/server/Server.class"));
    // Jib also lists /app/classes and /app/resources, empty here (the server is a dependency of this module).
    for (String entry : classpath.stream().filter(e -> e.endsWith(".jar")).toList()) {
      assertThat(rootfs.resolve(entry.substring(1))).as(entry).isRegularFile();
    }
    assertThat(classpath).allMatch(e -> e.startsWith("/app/"));
    assertThat(Files.readString(rootfs.resolve("app/jib-main-class-file")).trim()).isEqualTo("io.custos.cli.CustosCli");
    assertThat(rootfs.resolve("opt/java/bin/java")).isExecutable();
    assertThat(rootfs.resolve("opt/java/lib/server/libjvm.so")).isRegularFile();
    assertThat(rootfs.resolve("lib/x86_64-linux-gnu/libc.so.6")).isRegularFile();
    assertThat(Files.readAllLines(rootfs.resolve("etc/passwd"))).contains("custos:x:65532:65532:custos:/data:/sbin/nologin");
  }

  @Test
  void cliStartsFromTheImageAloneOnAReadOnlyRoot() throws Exception {
    assumeContainerLike();
    Path data = volume("data-cli");
    Result help = inImage(data, List.of("--help"), Duration.ofMinutes(2));
    assertThat(help.exit()).as(help.output()).isZero();
    assertThat(help.output()).contains("Usage: custos");

    Result keys = inImage(data, List.of("keys", "init", "--dir", "/data/keys"), Duration.ofMinutes(2));
    assertThat(keys.exit()).as(keys.output()).isZero();
    assertThat(data.resolve("keys/checkpoint-public.pem")).isRegularFile();
    assertThat(Files.getAttribute(data.resolve("keys"), "unix:uid")).isEqualTo(65532);
    assertThat(Files.getPosixFilePermissions(data.resolve("keys")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE);
  }

  @Test
  void serverFromTheImageAnswersItsLivenessProbe() throws Exception {
    assumeContainerLike();
    Path data = volume("data-serve");
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Path etc = work.resolve("etc-custos");
    Files.createDirectories(etc);
    // Loopback only (development identity); the upstream is absent, so only liveness, not readiness, is expected.
    Files.writeString(etc.resolve("custos.yaml"), """
        server: {host: 127.0.0.1, port: %d, tls: tls13}
        upstream: {baseUrl: "http://127.0.0.1:9/fhir"}
        identity: {mode: development}
        dataDir: /data
        """.formatted(port));
    Path log = work.resolve("serve.log");
    Process server = container(data, etc, strings(config.at("/config/Cmd")), log).start();
    try {
      HttpClient client = HttpClient.newBuilder().sslContext(trustingSelfSigned()).build();
      HttpRequest probe = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
          .timeout(Duration.ofSeconds(5)).build();
      int status = 0;
      // A bound, not a measurement: the start took 75 s beside other builds on 2 cores.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (status != 200 && server.isAlive() && System.nanoTime() < deadline) {
        try {
          status = client.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notYetListening) {
          Thread.sleep(250);
        }
      }
      assertThat(status).as(() -> output(log)).isEqualTo(200);
      // The runtime allows protobuf's sun.misc.Unsafe calls (jlink --add-options) instead of warning at each start.
      assertThat(output(log)).doesNotContain("sun.misc.Unsafe");
      assertThat(data.resolve("ledger")).isDirectory();
    } finally {
      server.destroy();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static void assumeContainerLike() {
    assumeTrue("root".equals(System.getProperty("user.name")), "mount namespaces need root");
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "util-linux unshare not installed");
  }

  private static Path volume(String name) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    // What Kubernetes' fsGroup or a chown'd bind mount gives the image's user.
    run(List.of("chown", IMAGE_USER, dir.toString()), Duration.ofSeconds(10));
    return dir;
  }

  private record Result(int exit, String output) {}

  private static Result inImage(Path data, List<String> args, Duration timeout) throws Exception {
    Path log = Files.createTempFile(work, "container-", ".log");
    Process p = container(data, null, args, log).start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("still running after " + timeout + ": " + args);
    }
    return new Result(p.exitValue(), output(log));
  }

  /**
   * A container made of namespaces: a private mount and PID namespace, the image's root bind-mounted read-only,
   * /proc, a tmpfs on /tmp, {@code data} on /data, optionally {@code etc} read-only on /etc/custos, then chroot
   * to it as the image's user running the image's entrypoint with the image's environment; standard output and
   * error go to {@code log}.
   */
  private static ProcessBuilder container(Path data, Path etc, List<String> args, Path log) throws IOException {
    Files.createDirectories(rootfs.resolve("proc"));
    String r = rootfs.toString();
    StringBuilder mounts = new StringBuilder()
        .append("set -e; mount --bind \"$R\" \"$R\"; mount -o remount,bind,ro \"$R\"; mount -t proc proc \"$R/proc\";")
        .append(" mount -t tmpfs -o mode=1777 tmpfs \"$R/tmp\"; mount --bind \"$DATA\" \"$R/data\";");
    if (etc != null) {
      mounts.append(" mount --bind -o ro \"$ETC\" \"$R/etc/custos\";");
    }
    mounts.append(" exec chroot --userspec=").append(IMAGE_USER).append(" \"$R\" \"$@\"");
    List<String> command = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--pid", "--fork",
        "--kill-child=SIGTERM", "sh", "-c", mounts.toString(), "container"));
    command.addAll(strings(config.at("/config/Entrypoint")));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().clear();
    // The image's environment; chroot passes it on to the entrypoint.
    for (String variable : strings(config.at("/config/Env"))) {
      int eq = variable.indexOf('=');
      pb.environment().put(variable.substring(0, eq), variable.substring(eq + 1));
    }
    pb.environment().put("R", r);
    pb.environment().put("DATA", data.toString());
    if (etc != null) {
      pb.environment().put("ETC", etc.toString());
    }
    return pb;
  }

  private static String output(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e.getClass().getSimpleName() + ")";
    }
  }

  private static SSLContext trustingSelfSigned() throws Exception {
    // The server makes its own self-signed certificate in /data/tls on first start; this probe, like a kubelet's
    // HTTPS probe, does not verify it.
    X509TrustManager any = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {any}, null);
    return ctx;
  }

  private static boolean holds(String jar, String entry) {
    Path file = rootfs.resolve(jar.substring(1));
    if (!jar.endsWith(".jar") || !Files.isRegularFile(file)) {
      return false;
    }
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return zip.getEntry(entry) != null;
    } catch (IOException e) {
      throw new AssertionError(jar, e);
    }
  }

  private static boolean executable(Path p) {
    try {
      return Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static void run(List<String> command, Duration timeout) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(command + " failed: " + out);
    }
  }
}
