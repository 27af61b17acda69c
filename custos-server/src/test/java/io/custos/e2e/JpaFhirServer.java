package io.custos.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The HAPI FHIR JPA server (module {@code custos-jpastore}) as a child process: the reference FHIR server, loaded
 * with the same Synthea fixture and derived resources as the embedded store for the same reference instant. Its own
 * class path (Spring, Hibernate, H2) never joins the tests'. Output goes to {@code target/e2e-logs/jpa-server.log}.
 *
 * <p>{@code baseUrl} is {@code http://127.0.0.1:PORT/fhir}; {@code getOnlyBaseUrl} serves the same data and answers
 * 405 to search by POST; {@code startup} runs from process start to fixture loaded.
 *
 * <p>Needs {@code custos-jpastore/target/custos-jpastore.jar} and its {@code classpath.txt}, written when that module
 * is packaged (it comes before this one in the reactor).
 */
public record JpaFhirServer(Process process, String baseUrl, String getOnlyBaseUrl, Duration startup) implements AutoCloseable {
  /** Spring, Hibernate schema creation and loading ~4,100 resources through transactions, on a shared 2-core machine. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(6);

  /**
   * Starts the server on a free loopback port and waits until the fixture is loaded.
   *
   * @param fixture   the directory of Synthea bundles
   * @param reference the enrichment's reference instant (as for the embedded store)
   */
  static JpaFhirServer start(Path fixture, Instant reference) throws Exception {
    Files.createDirectories(ClientScript.LOGS);
    List<String> cmd = command(ClientScript.ROOT, fixture, reference);
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectError(ClientScript.LOGS.resolve("jpa-server.log").toFile()).start();
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
      } catch (java.io.IOException e) {
        return null;
      }
    });
    String announced;
    try {
      announced = line.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      ChildProcesses.stopTree(p.toHandle());
      throw new IllegalStateException("HAPI FHIR JPA server did not start; see target/e2e-logs/jpa-server.log", e);
    }
    if (announced == null) {
      ChildProcesses.stopTree(p.toHandle());
      throw new IllegalStateException("HAPI FHIR JPA server exited; see target/e2e-logs/jpa-server.log");
    }
    JsonNode urls = new ObjectMapper().readTree(announced);
    return new JpaFhirServer(p, urls.get("base_url").asText(), urls.get("get_only_base_url").asText(),
        Duration.ofNanos(System.nanoTime() - t0));
  }

  /**
   * The command line that starts the server ({@code io.custos.fhir.jpa.JpaStore}, 1 GiB heap). Its standard output
   * gets one JSON line, {@code {"base_url":"...","get_only_base_url":"..."}}, once the fixture is loaded; it runs
   * until stopped.
   *
   * @param root      the repository root, where {@code custos-jpastore/target} holds the packaged jar and class path
   * @param fixture   the directory of Synthea bundles
   * @param reference the enrichment's reference instant
   * @throws IOException if the class path file cannot be read
   * @throws IllegalStateException if custos-jpastore is not packaged
   */
  public static List<String> command(Path root, Path fixture, Instant reference) throws IOException {
    Path module = root.resolve("custos-jpastore/target");
    Path jar = module.resolve("custos-jpastore.jar");
    Path classpath = module.resolve("classpath.txt");
    if (!Files.exists(jar) || !Files.exists(classpath)) {
      throw new IllegalStateException("package custos-jpastore first (./mvnw -pl custos-jpastore -am package)");
    }
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", jar + java.io.File.pathSeparator + Files.readString(classpath).trim(),
        "io.custos.fhir.jpa.JpaStore", "--data", fixture.toString(), "--reference", reference.toString());
  }

  @Override
  public void close() {
    ChildProcesses.stopTree(process.toHandle());
  }
}
