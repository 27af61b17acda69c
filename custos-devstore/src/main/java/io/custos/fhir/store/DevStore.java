package io.custos.fhir.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DEMO ONLY: runs an {@link EmbeddedFhirStore} as its own process for {@code custos demo}, so the store never joins
 * the server's class path.
 *
 * <p>Arguments: {@code --data DIR [--reference ISO-8601] [--schedule-start ISO-8601|now] [--port P]}: the directory
 * of Synthea bundles, the enrichment's reference instant (default: the latest encounter start), the instant after
 * which free Slots and future appointments are placed ({@code now} = the wall clock; default: the reference instant)
 * and the port on 127.0.0.1 (default 0, any free port). Standard output gets one line,
 * {@code {"base_url":"http://127.0.0.1:PORT/fhir"}}, once the store serves; then it runs until killed. Exit 2 on
 * missing or malformed arguments.
 */
public final class DevStore {
  private DevStore() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = options(args);
    EmbeddedFhirStore store = builder(opts).build().start();
    Runtime.getRuntime().addShutdownHook(new Thread(store::close));
    announce(store.baseUrl());
    Thread.currentThread().join();
  }

  /**
   * Reads {@code --name value} pairs; exits the process with status 2 when {@code --data} is missing.
   *
   * @return the options in argument order
   */
  public static Map<String, String> options(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    if (!opts.containsKey("--data")) {
      System.err.println("devstore: missing --data");
      System.exit(2);
    }
    return opts;
  }

  /** A store builder for the options {@code --data}, {@code --reference}, {@code --schedule-start} and {@code --port}. */
  public static EmbeddedFhirStore.Builder builder(Map<String, String> opts) {
    EmbeddedFhirStore.Builder builder = EmbeddedFhirStore.builder().dataDirectory(Path.of(opts.get("--data")))
        .port(Integer.parseInt(opts.getOrDefault("--port", "0")));
    if (opts.containsKey("--reference")) {
      builder.referenceInstant(Instant.parse(opts.get("--reference")));
    }
    String scheduleStart = opts.get("--schedule-start");
    if (scheduleStart != null) {
      builder.scheduleStart(scheduleStart.equals("now") ? Instant.now() : Instant.parse(scheduleStart));
    }
    return builder;
  }

  /** Writes the one line a parent process waits for: {@code {"base_url":"..."}}. */
  public static void announce(String baseUrl) {
    System.out.println("{\"base_url\":\"" + baseUrl + "\"}");
    System.out.flush();
  }
}
