package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.cli.ServerAssembly;
import io.custos.config.CustosConfig;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.mcp.http.McpHttpServer;
import io.custos.sql.LegacyPostgres;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HIPAA control 7, "PHI-free logs, proven": drives the whole server (embedded FHIR store +
 * {@link ServerAssembly} over Streamable HTTP, a real MCP client) through every tool for every fixture
 * patient, bad inputs that carry identifiers, refused calls and upstream failures, the legacy SQL tools (declared tools,
 * {@code sql_query}, injection and policy-escape attempts carrying identifiers, the database stopped), while capturing
 * <em>all</em> log output of this JVM (every Logback event, as encoded by the configured masking layout
 * and as raw message text, plus anything written to stdout/stderr), every error body, the alerts (alert log and a
 * real TLS syslog collector; alerts are raised over every patient-bearing result in the ledger) and the Prometheus
 * metrics exposition. Then it
 * searches all of it for every identifier of every test patient, taken from the fixture data itself:
 * names (given, family, maiden), Patient.identifier values (MRN, SSN, driver's licence, passport...),
 * birth dates, address lines, city with postal code, phone numbers and emails, and the legacy database's medical
 * record numbers. Zero hits.
 */
class PhiLogScanIT {
  private static final Path MODULE = Path.of("").toAbsolutePath();
  private static final Path FIXTURE = MODULE.resolve("src/test/resources/fixtures/synthea");

  private static EmbeddedFhirStore store;
  private static ServerAssembly app;
  private static McpHttpServer http;
  private static Path work;
  private static final List<String> errorBodies = Collections.synchronizedList(new ArrayList<>());
  private static PhiLogCapture capture;
  private static io.custos.alerting.TlsSyslogReceiver syslog;
  /** The legacy SQL database behind the {@code sql} tools; stopped by the test to drive the database-failure path. */
  private static LegacyPostgres legacy;
  private static boolean legacyStopped;

  @BeforeAll
  static void start() throws Exception {
    capture = PhiLogCapture.start();
    work = Files.createTempDirectory("custos-phi-scan");
    store = EmbeddedFhirStore.builder().dataDirectory(FIXTURE).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start();
    syslog = new io.custos.alerting.TlsSyslogReceiver(work.resolve("collector"));
    // Outside the data directory: the scan reads every byte of that, and the database holds the patients themselves.
    legacy = LegacyPostgres.start(Files.createDirectories(work.resolve("legacy")));
    Path config = work.resolve("custos.yaml");
    Files.writeString(config, """
        server: {host: 127.0.0.1, port: 0, tls: plain}
        upstream: {baseUrl: "%s"}
        identity: {mode: development}
        # Every tool's data path for every patient (the development identity cares for none; the refusal is fixed text,
        # covered by the access-control tests), some 400 calls within a minute (the rate limit is not what this tests).
        policy: {requireCareRelationship: false, rateLimitPerMinute: 100000}
        dataDir: "%s"
        alerts:
          maxAttempts: 2
          initialBackoffMillis: 10
          syslog: [{host: 127.0.0.1, port: %d, trustCertificates: "%s", hostname: phi-scan}]
        metrics: {port: 0}
        """.formatted(store.baseUrl(), work.resolve("data"), syslog.port(), syslog.certificatePem()) + legacy.configSection());
    app = new ServerAssembly(CustosConfig.load(config));
    http = app.startHttp(false);
  }

  @AfterAll
  static void stop() throws IOException {
    if (http != null) {
      http.close();
    }
    if (app != null) {
      app.close();
    }
    if (store != null) {
      store.close();
    }
    if (legacy != null && !legacyStopped) {
      legacy.close();
    }
    if (capture != null) {
      capture.close();
    }
    if (syslog != null) {
      syslog.close();
    }
  }

  /**
   * Alerts over every patient-bearing result of the scan, built from the ledger's own events (its pseudonyms, users
   * and event ids), through the configured sinks: the alert log and the TLS syslog collector. Returns how many.
   */
  private static int alertOnEveryDisclosure() throws Exception {
    Path data = work.resolve("data");
    List<io.custos.policy.AlertSink.Alert> alerts = new ArrayList<>();
    io.custos.audit.ledger.LedgerEvents.forEach(data.resolve("ledger"),
        io.custos.audit.ledger.LocalKeySource.open(data.resolve("keys")).ledgerAead(), s -> {
          var e = s.event();
          if (e.phase() == io.custos.audit.AuditEvent.Phase.RESULT && !e.patientRefs().isEmpty()) {
            alerts.add(new io.custos.policy.AlertSink.Alert(java.util.UUID.randomUUID().toString(), "phi-scan",
                io.custos.policy.AlertSink.Severity.HIGH, e.subject(), e.patientRefs(), e.timestamp(), e.timestamp(), 1,
                List.of(e.eventId()), e.callId()));
          }
        });
    alerts.forEach(app.alerts()::alert);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (syslog.received.size() < alerts.size() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return alerts.size();
  }

  private static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> args) {
    try {
      McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest(tool, args));
      if (Boolean.TRUE.equals(r.isError())) {
        // Labelled by a counter, not the tool name: the test's own bad tool names carry identifiers.
        r.content().forEach(c -> errorBodies.add("tool error: " + (c instanceof McpSchema.TextContent t ? t.text() : c.toString())));
      }
      return r;
    } catch (RuntimeException e) {
      errorBodies.add("tool call exception: " + e);
      return null;
    }
  }

  private static void rawHttp(HttpClient client, String method, String body, Map<String, String> headers, String query)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(http.endpoint() + query)).timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 400) {
      errorBodies.add("HTTP " + r.statusCode() + " " + r.headers().map() + " " + r.body());
    }
  }

  @Test
  void noIdentifierOfAnyTestPatientReachesLogsOrErrorBodies() throws Exception {
    List<Patient> patients = store.repository().all("Patient").stream().map(Patient.class::cast).toList();
    assertThat(patients).hasSize(5);
    Map<String, Set<String>> identifiers = PhiLogCapture.identifiers(patients);
    // The legacy database's medical record numbers are identifiers of the same patients.
    Map<String, String> mrns = legacy.mrnByFhirId();
    assertThat(mrns.keySet()).containsExactlyInAnyOrderElementsOf(identifiers.keySet());
    mrns.forEach((patient, mrn) -> identifiers.get(patient).add(mrn));

    var transport = HttpClientStreamableHttpTransport.builder("http://" + http.endpoint().getAuthority()).endpoint("/mcp").build();
    int calls = 0;
    try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build()) {
      client.initialize();
      List<McpSchema.Tool> tools = client.listTools().tools();
      assertThat(tools).hasSizeGreaterThanOrEqualTo(13);
      client.readResource(new McpSchema.ReadResourceRequest("custos://policy"));

      for (Patient p : patients) {
        String pid = p.getIdPart();
        String family = p.getNameFirstRep().getFamily();
        String given = p.getNameFirstRep().getGivenAsSingleString();
        String birth = p.getBirthDateElement().getValueAsString();
        String ssn = p.getIdentifier().stream().filter(i -> i.getType().getCodingFirstRep().getCode() != null
            && i.getType().getCodingFirstRep().getCode().equals("SS")).map(Identifier::getValue).findFirst().orElse("999-99-9999");
        String encounter = store.repository().forPatient("Encounter", pid).stream().findFirst()
            .map(e -> e.getIdElement().getIdPart()).orElse("none");

        // Every tool, valid arguments.
        for (McpSchema.Tool t : tools) {
          Map<String, Object> args = new LinkedHashMap<>();
          switch (t.name()) {
            case "find_patient" -> {
              args.put("family", family);
              args.put("birthdate", birth);
            }
            case "get_encounter" -> {
              args.put("patient_id", pid);
              args.put("encounter_id", encounter);
            }
            case "sql_query" -> {
              args.put("patient_id", pid);
              args.put("query", "SELECT MRN, DX_CD, DX_DESC, ONSET_DT FROM DX");
            }
            default -> args.put("patient_id", pid);
          }
          call(client, t.name(), args);
          calls++;
        }
        call(client, "find_patient", Map.of("identifier", ssn));
        call(client, "find_patient", Map.of("identifier", pid));
        call(client, "get_lab_results", Map.of("patient_id", pid, "date_from", birth, "date_to", "2025-12-31"));

        // Bad inputs carrying this patient's identifiers: must be refused without echoing them.
        call(client, "find_patient", Map.of("family", family + "<script>", "birthdate", birth));
        call(client, "find_patient", Map.of("family", family));
        call(client, "find_patient", Map.of("given", given, "birthdate", birth + "T00:00"));
        call(client, "find_patient", Map.of("identifier", ssn + " OR 1=1", "family", family));
        call(client, "get_patient_demographics", Map.of("patient_id", ssn));
        call(client, "get_patient_demographics", Map.of("patient_id", family + " " + given));
        call(client, "get_patient_demographics", Map.of("patient_id", pid, "ssn", ssn, "name", family));
        call(client, "get_active_conditions", Map.of("patient_id", pid, "limit", 5000));
        call(client, "get_lab_results", Map.of("patient_id", pid, "date_from", "2025-12-31", "date_to", birth));
        call(client, "get_lab_results", Map.of("patient_id", pid, "date_from", "1900-01-01", "date_to", "2025-12-31"));
        call(client, "get_vital_signs", Map.of("patient_id", pid, "date_from", birth.substring(0, 8) + "32"));
        call(client, "list_encounters", Map.of("patient_id", pid, "cursor", "not-a-real-cursor"));
        call(client, "get_encounter", Map.of("patient_id", pid, "encounter_id", "does-not-exist"));
        call(client, "get_clinical_notes", Map.of("patient_id", "00000000-0000-0000-0000-000000000000"));
        call(client, "no_such_tool", Map.of("patient_id", pid, "name", family));
        calls += 16;
        calls += sqlTraffic(client, pid, mrns.get(pid), family, given, birth, ssn);
      }
      // Another patient's encounter under this patient: not found, no leak of either.
      String a = patients.get(0).getIdPart();
      String otherEncounter = store.repository().forPatient("Encounter", patients.get(1).getIdPart()).get(0).getIdElement().getIdPart();
      call(client, "get_encounter", Map.of("patient_id", a, "encounter_id", otherEncounter));

      // Transport-level errors with identifiers in the request.
      HttpClient raw = HttpClient.newHttpClient();
      Patient p0 = patients.get(0);
      String name = p0.getNameFirstRep().getFamily();
      Map<String, String> json = Map.of("Content-Type", "application/json", "Accept", "application/json, text/event-stream");
      rawHttp(raw, "POST", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"find_patient\",\"arguments\":{\"family\":\""
          + name + "\"", json, "");
      rawHttp(raw, "POST", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"find_patient\",\"arguments\":{\"family\":\""
          + name + "\"}}}", merge(json, Map.of("Mcp-Session-Id", "session-of-" + p0.getIdPart())), "");
      rawHttp(raw, "POST", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
          merge(json, Map.of("MCP-Protocol-Version", "1999-01-01")), "");
      rawHttp(raw, "GET", null, Map.of("Accept", "text/event-stream"), "?patient=" + p0.getIdPart() + "&family=" + name);
      rawHttp(raw, "DELETE", null, Map.of("Mcp-Session-Id", p0.getIdPart()), "");
      rawHttp(raw, "POST", "x".repeat(10) + name, Map.of("Content-Type", "text/plain"), "");

      // The legacy database fails: its tools answer that it could not, the pool and the driver log what they log.
      legacy.close();
      legacyStopped = true;
      for (Patient p : patients.subList(0, 2)) {
        call(client, "legacy_active_diagnoses", Map.of("patient_id", p.getIdPart()));
        call(client, "sql_query", Map.of("patient_id", p.getIdPart(), "query", "SELECT DX_CD FROM DX WHERE DX_DESC = '"
            + p.getNameFirstRep().getFamily() + "'"));
        calls += 2;
      }

      // Upstream failure: every patient-scoped call now fails at the upstream.
      store.close();
      for (Patient p : patients) {
        call(client, "get_active_conditions", Map.of("patient_id", p.getIdPart()));
        call(client, "find_patient", Map.of("family", p.getNameFirstRep().getFamily(), "birthdate", p.getBirthDateElement().getValueAsString()));
        calls += 2;
      }
    }

    // Alerts (alert log and TLS syslog) and the Prometheus exposition after all of the above.
    int alerts = alertOnEveryDisclosure();
    String metricsText;
    try (var metrics = app.startMetrics().orElseThrow()) {
      metricsText = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics.endpoint()).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    }
    List<String> haystacks = capture.haystacks();
    haystacks.addAll(errorBodies);
    haystacks.add("metrics: " + metricsText);
    syslog.received.forEach(m -> haystacks.add("syslog: " + m));
    // The audit ledger and keys directory: every byte.
    haystacks.addAll(PhiLogCapture.dataFiles(work.resolve("data")));
    List<String> hits = PhiLogCapture.hits(identifiers, haystacks);
    int searched = PhiLogCapture.count(identifiers);
    capture.close();
    System.err.printf("PhiLogScanIT: %d calls, %d log records, %d error bodies, %d console chars, %d alerts, %d metrics chars,"
        + " %d identifiers searched, %d hits%n", calls, capture.logRecords(), errorBodies.size(), capture.consoleChars(), alerts,
        metricsText.length(), searched, hits.size());
    assertThat(calls).isGreaterThan(100);
    assertThat(errorBodies.size()).as("error paths exercised").isGreaterThan(60);
    assertThat(errorBodies).as("SQL statements refused by rule").anyMatch(b -> b.contains("rule no-set-operations"))
        .anyMatch(b -> b.contains("The SQL database could not answer."));
    assertThat(capture.logRecords()).as("log output was captured").isPositive();
    assertThat(searched).isGreaterThan(40);
    assertThat(alerts).as("alerts sent").isGreaterThan(20);
    assertThat(syslog.received).as("alerts received by the syslog collector").hasSize(alerts);
    assertThat(PhiLogCapture.dataFiles(work.resolve("data"))).anySatisfy(f -> assertThat(f).startsWith("data file alerts.jsonl"));
    assertThat(metricsText).contains("custos_calls_total{");
    assertThat(hits).as("patient identifiers found in logs, error bodies, alerts, syslog or metrics").isEmpty();
  }

  /**
   * The product's own scan, {@code custos phi scan}, over this server's data directory and everything captured from
   * its logs so far: it passes; with one planted family name it fails, naming file, line and kind only. It reads the
   * identifiers from a store of its own over the same fixture (the other test stops the first store midway).
   */
  @Test
  void thePhiScanCommandPassesOnTheseLogsAndFailsOnAPlantedIdentifier() throws Exception {
    Path logs = work.resolve("captured-logs");
    Files.createDirectories(logs);
    Files.write(logs.resolve("custos.log"), capture.haystacks());
    try (EmbeddedFhirStore own = EmbeddedFhirStore.builder().dataDirectory(FIXTURE).port(0)
        .referenceInstant(Instant.parse("2026-01-01T00:00:00Z")).build().start()) {
      Path config = work.resolve("scan.yaml");
      Files.writeString(config, "server: {host: 127.0.0.1, port: 0, tls: plain}\nupstream: {baseUrl: \"%s\"}\nidentity: {mode: development}\ndataDir: \"%s\"\n"
          .formatted(own.baseUrl(), work.resolve("data")));
      String[] args = {"phi", "scan", "--config", config.toString(), "--path", logs.toString()};
      assertThat(new picocli.CommandLine(new io.custos.cli.CustosCli()).execute(args)).as("clean logs").isZero();
      String family = ((Patient) own.repository().all("Patient").get(0)).getNameFirstRep().getFamily();
      Files.writeString(logs.resolve("planted.log"), "12:00:00 WARN io.custos lookup failed for " + family + "\n");
      java.io.StringWriter out = new java.io.StringWriter();
      var cli = new picocli.CommandLine(new io.custos.cli.CustosCli());
      cli.setOut(new java.io.PrintWriter(out));
      assertThat(cli.execute(args)).as("planted identifier").isEqualTo(3);
      assertThat(out.toString()).contains(logs.resolve("planted.log") + ":1: name").doesNotContain(family);
    }
  }

  /**
   * MCP Java SDK 2.1.0 answers {@code tools/call} for an unknown tool with JSON-RPC error data
   * {@code "Tool not found: <name>"}, echoing the client's string. Custos's {@code GateFilter} refuses
   * unknown tool names before the SDK sees them, with the fixed error -32602 "Unknown tool." (stdio:
   * {@code StdioErrorFilter}, tested in {@code UnknownToolTest}).
   */
  @Test
  void unknownToolNamesAreNotEchoed() {
    var transport = HttpClientStreamableHttpTransport.builder("http://" + http.endpoint().getAuthority()).endpoint("/mcp").build();
    try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build()) {
      client.initialize();
      errorBodies.clear();
      call(client, "no_such_tool_Marker4711", Map.of());
      assertThat(String.join("\n", errorBodies)).doesNotContain("Marker4711");
    }
  }

  /**
   * The SQL tools for one patient: declared tools and {@code sql_query} answering, and refused attempts that carry the
   * patient's identifiers (MRN, FHIR id, names, birth date, SSN) in arguments and in statements: set operations, other
   * tables, stacked statements, comments, system catalogs and functions, CTEs, subqueries, casts, quoting tricks and
   * writes. Returns the number of calls.
   */
  private static int sqlTraffic(McpSyncClient client, String pid, String mrn, String family, String given, String birth,
      String ssn) {
    List<Map<String, Object>> declared = List.of(
        Map.of("patient_id", mrn),
        Map.of("patient_id", pid + "' OR '1'='1"),
        Map.of("patient_id", family + " " + given),
        Map.of("patient_id", pid, "mrn", mrn, "name", family));
    for (Map<String, Object> args : declared) {
      call(client, "legacy_active_diagnoses", args);
    }
    call(client, "legacy_lab_results", Map.of("patient_id", pid, "loinc", family));
    call(client, "legacy_lab_results", Map.of("patient_id", pid, "loinc", ssn + "' OR 1=1 -- " + family));
    call(client, "legacy_lab_results", Map.of("patient_id", pid, "loinc", Map.of("mrn", mrn)));
    String compactBirth = birth.replace("-", "");
    List<String> queries = List.of(
        "SELECT RX_CD, RX_DESC, START_DT FROM RX WHERE STOP_DT IS NULL",
        "SELECT d.DX_CD, r.RX_CD FROM DX d JOIN RX r ON r.ENC_ID = d.ENC_ID WHERE d.MRN = '" + mrn + "'",
        "SELECT DX_CD FROM DX WHERE ONSET_DT > '" + compactBirth + "' LIMIT 100000",
        "SELECT DX_CD FROM DX UNION SELECT LAST_NM FROM PAT WHERE LAST_NM = '" + family + "'",
        "SELECT LAST_NM, FIRST_NM, BIRTH_DT FROM PAT WHERE MRN = '" + mrn + "'",
        "SELECT DX_CD FROM DX WHERE MRN = '" + mrn + "' OR 1=1; DROP TABLE PAT",
        "SELECT DX_CD FROM DX /* " + given + " " + ssn + " */",
        "SELECT DX_CD FROM DX WHERE DX_DESC = '" + family + "' -- " + birth,
        "SELECT pg_read_file('/etc/passwd'), '" + pid + "' FROM DX",
        "SELECT pg_sleep(10) FROM DX WHERE MRN = '" + mrn + "'",
        "WITH p AS (SELECT LAST_NM FROM PAT WHERE EMPI_ID = '" + pid + "') SELECT * FROM p",
        "SELECT DX_CD FROM DX WHERE MRN IN (SELECT MRN FROM PAT WHERE LAST_NM = '" + family + "')",
        "SELECT CAST('" + ssn + "' AS INTEGER) FROM DX",
        "SELECT usename FROM pg_catalog.pg_user WHERE usename = '" + given + "'",
        "SELECT DX_CD FROM DX WHERE DX_DESC = U&'" + family + "'",
        "SELECT \"LAST_NM\" FROM \"PAT\" WHERE \"FIRST_NM\" = '" + given + "'",
        "DELETE FROM PAT WHERE MRN = '" + mrn + "'",
        "' OR '1'='1' -- " + family + " " + ssn,
        ("SELECT DX_CD FROM DX WHERE DX_DESC = '" + family + "' OR ").repeat(200) + "1 = 1");
    for (String q : queries) {
      call(client, "sql_query", Map.of("patient_id", pid, "query", q));
    }
    call(client, "sql_query", Map.of("patient_id", mrn, "query", "SELECT DX_CD FROM DX"));
    call(client, "sql_query", Map.of("patient_id", pid));
    return 7 + queries.size() + 2;
  }

  private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
    Map<String, String> m = new LinkedHashMap<>(a);
    m.putAll(b);
    return m;
  }
}
