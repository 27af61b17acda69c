package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
record JpaFhirServer(Process process, String baseUrl, String getOnlyBaseUrl, Duration startup) implements AutoCloseable {
  /** Spring, Hibernate schema creation and loading ~4,100 resources through transactions, on a shared 2-core machine. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(6);

  /**
   * Starts the server on a free loopback port and waits until the fixture is loaded.
   *
   * @param fixture   the directory of Synthea bundles
   * @param reference the enrichment's reference instant (as for the embedded store)
   */
  static JpaFhirServer start(Path fixture, Instant reference) throws Exception {
    Path module = ClientScript.ROOT.resolve("custos-jpastore/target");
    Path jar = module.resolve("custos-jpastore.jar");
    Path classpath = module.resolve("classpath.txt");
    assertThat(jar).as("package custos-jpastore first (./mvnw -pl custos-jpastore -am package)").exists();
    Files.createDirectories(ClientScript.LOGS);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", jar + java.io.File.pathSeparator + Files.readString(classpath).trim(),
        "io.custos.fhir.jpa.JpaStore", "--data", fixture.toString(), "--reference", reference.toString()));
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

  @Override
  public void close() {
    ChildProcesses.stopTree(process.toHandle());
  }
}
