package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.auth.Caller;
import io.custos.cli.ServerAssembly;
import io.custos.mcp.StdioErrorFilter;
import io.custos.pipeline.StageName;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.Declaration;
import io.custos.tools.Registry;
import io.custos.tools.Route;
import io.custos.tools.ToolManifest;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every served tool, prompt and resource, over stdio and over Streamable HTTP (MCP 2025-11-25 and 2026-07-28), takes its
 * route through the pipeline:
 * the observer sees the stages each call entered. Every call passes authenticate, rate limit and authorize (or is
 * refused by one of them); every call past the gate has its intent and result audited and its arguments validated;
 * every successful call that returns FHIR data passed the minimum-necessary filter. Nothing is served that the
 * registry (and so the manifest and the policy) does not declare.
 */
class EveryCallGovernedTest {
  private static final List<StageName> GATE = List.of(StageName.AUTHENTICATE, StageName.RATE_LIMIT, StageName.AUTHORIZE);

  record Seen(String transport, String name, List<StageName> passed, ToolOutcome outcome) {}

  @TempDir
  Path dir;

  @Test
  void everyDeclarationTakesItsRouteOnBothTransports() throws Exception {
    List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<String> transport = new AtomicReference<>("stdio");
    String pid = HttpTestSupport.fixturePatientIds().get(0);
    Map<String, Object> values = values(pid);
    try (ServerAssembly app = new ServerAssembly(HttpTestSupport.config(dir, "tls13", 1 << 20),
        (ToolCall call, List<StageName> passed, ToolOutcome outcome) -> seen.add(new Seen(transport.get(), call.name(), passed, outcome)))) {
      Registry registry = app.pipeline().registry();
      List<Declaration> served = new ArrayList<>();
      for (Declaration.Kind kind : List.of(Declaration.Kind.TOOL, Declaration.Kind.PROMPT, Declaration.Kind.RESOURCE)) {
        served.addAll(registry.of(kind));
      }

      // stdio: a user in every role, with every scope and a fresh MFA sign-in, so most calls get past the gate.
      Caller everyone = new Caller("route-test", "route-client", Optional.of("Practitioner/route-test"),
          Set.of("clinician", "researcher"), Set.of("openid", "user/*.cruds"), Optional.empty(), true, "tok-route",
          Instant.now().plusSeconds(600), Optional.of(Instant.now()), Optional.empty());
      List<String> requests = new ArrayList<>();
      AtomicInteger id = new AtomicInteger(10);
      for (Declaration d : served) {
        requests.add(request(id.incrementAndGet(), d, arguments(d, values)));
      }
      List<String> listed = stdio(app, everyone, requests.toArray(String[]::new));
      assertThat(listed).isNotEmpty();

      // Streamable HTTP: the development identity (clinician, user/*.rs).
      transport.set("http");
      try (var http = app.startHttp(false)) {
        var client = HttpTestSupport.client(HttpTestSupport.trustOnly(dir.resolve("tls").resolve("certificate.pem")));
        var session = HttpTestSupport.Session.open(client, http.endpoint());
        Set<String> offered = new HashSet<>();
        session.call("tools/list", "{}").path("result").path("tools").forEach(t -> offered.add(t.path("name").asText()));
        session.call("prompts/list", "{}").path("result").path("prompts").forEach(t -> offered.add(t.path("name").asText()));
        session.call("resources/list", "{}").path("result").path("resources").forEach(t -> offered.add(t.path("uri").asText()));
        assertThat(served.stream().map(Declaration::name).toList()).as("everything served is declared").containsAll(offered);
        for (Declaration d : served) {
          String params = HttpTestSupport.JSON.writeValueAsString(switch (d.kind()) {
            case TOOL -> Map.of("name", d.name(), "arguments", arguments(d, values));
            case PROMPT -> Map.of("name", d.name(), "arguments", arguments(d, values));
            default -> Map.of("uri", d.name());
          });
          session.rawCall(id.incrementAndGet(), method(d), params);
        }
        // MCP 2026-07-28 on the same endpoint: no session, the same pipeline.
        transport.set("http-2026");
        for (Declaration d : served) {
          var params = (com.fasterxml.jackson.databind.node.ObjectNode) HttpTestSupport.JSON.valueToTree(switch (d.kind()) {
            case TOOL, PROMPT -> Map.of("name", d.name(), "arguments", arguments(d, values));
            default -> Map.of("uri", d.name());
          });
          HttpTestSupport.send(client, HttpTestSupport.stateless(http.endpoint(), id.incrementAndGet(), method(d), params).build());
        }
      }

      assertThat(ToolManifest.of(registry).toolCount()).as("the manifest pins every declaration").isEqualTo(registry.all().size());
      for (String t : List.of("stdio", "http", "http-2026")) {
        Set<String> observed = new HashSet<>();
        seen.stream().filter(s -> s.transport().equals(t)).forEach(s -> observed.add(s.name()));
        assertThat(observed).as("%s: every served declaration reached the pipeline", t)
            .containsAll(served.stream().map(Declaration::name).toList());
      }
      for (Seen s : seen) {
        Declaration d = served.stream().filter(x -> x.name().equals(s.name())).findFirst().orElseThrow();
        List<StageName> p = s.passed();
        assertThat(p).as("%s %s entered the gate in order", s.transport(), s.name())
            .startsWith(GATE.subList(0, Math.min(GATE.size(), p.size())).toArray(StageName[]::new));
        if (!s.outcome().isError()) {
          assertThat(p).as("%s %s succeeded", s.transport(), s.name())
              .containsSubsequence(StageName.AUTHORIZE, StageName.AUDIT_INTENT, StageName.VALIDATE, StageName.AUDIT_RESULT);
          if (d.route() == Route.READ || d.route() == Route.STATUS) {
            assertThat(p).as("%s %s returned FHIR data", s.transport(), s.name()).contains(StageName.FILTER);
          }
        } else if (p.contains(StageName.AUDIT_INTENT)) {
          assertThat(p).as("%s %s refused after its intent", s.transport(), s.name()).containsSubsequence(GATE.toArray(StageName[]::new));
        }
      }
      // On stdio every read tool succeeded for the fixture patient, so the filter stage was really exercised.
      for (Declaration d : registry.of(Declaration.Kind.TOOL)) {
        if (d.route() == Route.READ) {
          assertThat(seen.stream().filter(s -> s.transport().equals("stdio") && s.name().equals(d.name()))
              .anyMatch(s -> !s.outcome().isError())).as("stdio %s succeeded: %s", d.name(), seen.stream()
                  .filter(s -> s.name().equals(d.name())).map(s -> s.outcome().text()).toList()).isTrue();
        }
      }
    }
  }

  /** Argument values by name, from the fixture. */
  private static Map<String, Object> values(String pid) {
    var repo = HttpTestSupport.store().repository();
    Patient p = (Patient) repo.get("Patient", pid).orElseThrow();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("patient_id", pid);
    v.put("encounter_id", repo.forPatient("Encounter", pid).get(0).getIdElement().getIdPart());
    v.put("family", p.getNameFirstRep().getFamily());
    v.put("birthdate", p.getBirthDateElement().getValueAsString());
    v.put("claim_id", "no-such-claim");
    v.put("snomed_code", "44054006");
    v.put("age_band", "any");
    v.put("reason", "Unconscious patient in the emergency department, no history available");
    v.put("title", "Follow-up");
    v.put("text", "Patient doing well.");
    v.put("subject", "Results");
    return v;
  }

  /** The declaration's arguments that {@code values} knows (other required ones are left out: validation refuses). */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> arguments(Declaration d, Map<String, Object> values) {
    Map<String, Object> args = new LinkedHashMap<>();
    for (String name : ((Map<String, Object>) d.inputSchema().getOrDefault("properties", Map.of())).keySet()) {
      if (values.containsKey(name)) {
        args.put(name, values.get(name));
      }
    }
    return args;
  }

  private static String method(Declaration d) {
    return switch (d.kind()) {
      case PROMPT -> "prompts/get";
      case RESOURCE -> "resources/read";
      default -> "tools/call";
    };
  }

  private static String request(int id, Declaration d, Map<String, Object> args) throws Exception {
    Map<String, Object> params = d.kind() == Declaration.Kind.RESOURCE ? Map.of("uri", d.name())
        : Map.of("name", d.name(), "arguments", args);
    return HttpTestSupport.JSON.writeValueAsString(Map.of("jsonrpc", "2.0", "id", id, "method", method(d), "params", params));
  }

  /** One in-process stdio session: initialize, then each request; returns the response lines. */
  private static List<String> stdio(ServerAssembly app, Caller caller, String... requests) throws Exception {
    PipedOutputStream toServer = new PipedOutputStream();
    PipedInputStream serverIn = new PipedInputStream(toServer, 1 << 16);
    PipedInputStream fromServer = new PipedInputStream(1 << 22);
    OutputStream serverOut = new PipedOutputStream(fromServer);
    var server = app.mcp().start(new StdioServerTransportProvider(app.jsonMapper(), serverIn, new StdioErrorFilter(serverOut)),
        () -> Optional.of(caller));
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(fromServer, StandardCharsets.UTF_8))) {
      send(toServer, HttpTestSupport.initializeBody("2025-11-25"));
      lines.add(reader.readLine());
      send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
      for (String request : requests) {
        send(toServer, request);
        String id = "\"id\":" + HttpTestSupport.JSON.readTree(request).path("id");
        String line;
        do {
          line = reader.readLine();
          assertThat(line).as("stdout closed").isNotNull();
          lines.add(line);
        } while (!line.contains(id));
        JsonNode reply = HttpTestSupport.JSON.readTree(line);
        assertThat(reply.has("result") || reply.has("error")).isTrue();
      }
    } finally {
      server.closeGracefully();
    }
    return lines;
  }

  private static void send(OutputStream out, String message) throws Exception {
    out.write((message.replace("\n", "") + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
