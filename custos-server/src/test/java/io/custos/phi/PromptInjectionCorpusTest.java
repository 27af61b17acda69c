package io.custos.phi;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.audit.JsonLinesAuditTrail;
import io.custos.audit.PatientPseudonyms;
import io.custos.auth.Caller;
import io.custos.fhir.HapiFhirUpstream;
import io.custos.fhir.store.EmbeddedFhirStore;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.pipeline.GovernancePipeline;
import io.custos.pipeline.ToolCall;
import io.custos.pipeline.ToolCallException;
import io.custos.pipeline.ToolOutcome;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Instructions hidden in clinical text: a corpus of injection payloads
 * ({@code injection/payloads.txt}: instructions to call other tools, fetch other patients, exfiltrate
 * through markdown links and images, bare URLs, hidden unicode, HTML comments, fake fence markers, data
 * URIs) is planted into DocumentReference notes of the Synthea fixture in the embedded store and read back
 * through the real {@link GovernancePipeline} by a patient-bound caller ({@code patient/*.rs} + patient
 * context). Every payload comes back inside exactly one fence with every hidden channel stripped, and every
 * call that names another patient, whatever the note asked for, is refused.
 */
class PromptInjectionCorpusTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static final Pattern HIDDEN = Pattern.compile("[\\p{Cf}\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF\\uFE00-\\uFE0F\\x{E0000}-\\x{E01EF}]");
  private static final Pattern EXTERNAL = Pattern.compile("(?i)https?:|ftp:|javascript:|vbscript:|data:[a-z]|mailto:|www\\.|<!--|-->|<script|<img|\\]\\(");

  private static EmbeddedFhirStore store;
  private static GovernancePipeline pipeline;
  private static Path work;
  private static List<String> patients;
  private static final List<String> payloads = new ArrayList<>();

  static String decode(String line) {
    Matcher m = Pattern.compile("\\\\U([0-9A-Fa-f]{8})|\\\\u([0-9A-Fa-f]{4})|\\\\n").matcher(line);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String rep = m.group(1) != null ? Character.toString(Integer.parseInt(m.group(1), 16))
          : m.group(2) != null ? Character.toString(Integer.parseInt(m.group(2), 16)) : "\n";
      m.appendReplacement(sb, Matcher.quoteReplacement(rep));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  @BeforeAll
  static void start() throws IOException {
    try (InputStream in = PromptInjectionCorpusTest.class.getResourceAsStream("/injection/payloads.txt")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          payloads.add(decode(line));
        }
      }
    }
    InMemoryRepository repo = SyntheaFixture.load();
    patients = SyntheaFixture.patients(repo).stream().map(Patient::getIdPart).sorted().toList();
    LocalDate day = LocalDate.of(2027, 1, 1);
    for (int i = 0; i < payloads.size(); i++) {
      String pid = patients.get(i % patients.size());
      String other = patients.get((i + 1) % patients.size());
      String text = "Chief complaint: follow-up.\nINJ" + i + "-START " + payloads.get(i).replace("OTHER_PATIENT", other)
          + " INJ" + i + "-END\nPlan: continue current medications.";
      DocumentReference d = new DocumentReference();
      d.setId("inj-" + i);
      d.setStatus(Enumerations.DocumentReferenceStatus.CURRENT);
      d.setSubject(new Reference("Patient/" + pid));
      d.setType(new CodeableConcept(new Coding("http://loinc.org", "34117-2", "History and physical note")));
      d.getDateElement().setValueAsString(day.plusDays(i) + "T12:00:00Z");
      d.addContent().setAttachment(new Attachment().setContentType("text/plain; charset=utf-8").setData(text.getBytes(StandardCharsets.UTF_8)));
      repo.put(d);
    }
    store = EmbeddedFhirStore.builder().repository(repo).enrich(false).port(0).build().start();
    work = Files.createTempDirectory("custos-injection");
    ObjectMapper mapper = new ObjectMapper();
    pipeline = io.custos.routes.TestPaths.pipeline(io.custos.routes.TestPaths.stages(new JsonLinesAuditTrail(work.resolve("audit.jsonl")),
        new HapiFhirUpstream(FHIR, store.baseUrl(), Duration.ofSeconds(30), List.of()), Clock.systemUTC(),
        io.custos.policy.TestAccess.withoutCareRelationships(Clock.systemUTC())));
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close();
    }
  }

  private static Caller boundTo(String pid) {
    // sensitive-data: this test is about injection, not category withholding (planted text may mention HIV).
    return new Caller("patient-app-user", "app", Optional.empty(), Set.of("patient", SensitiveDataPolicy.ALL_ROLE),
        Set.of("patient/*.rs"), Optional.of(pid), true, "t", Instant.MAX);
  }

  private static ToolOutcome call(Caller c, String tool, Map<String, Object> args) {
    return pipeline.handle(new ToolCall(tool, args, Optional.of(c), "s", "test"));
  }

  @Test
  void everyPayloadComesBackFencedAndStripped() {
    assertThat(payloads).hasSizeGreaterThanOrEqualTo(100);
    LocalDate day = LocalDate.of(2027, 1, 1);
    for (int i = 0; i < payloads.size(); i++) {
      String pid = patients.get(i % patients.size());
      String date = day.plusDays(i).toString();
      ToolOutcome out = call(boundTo(pid), "get_clinical_notes", Map.of("patient_id", pid, "date_from", date, "date_to", date));
      assertThat(out.isError()).as("payload %d: %s", i, out.text()).isFalse();
      List<?> items = (List<?>) out.structured().get("items");
      assertThat(items).as("payload %d", i).hasSize(1);
      String text = (String) ((Map<?, ?>) items.get(0)).get("text");
      assertThat(text).as("payload %d fenced", i).startsWith(UntrustedText.FENCE_BEGIN + "\n").endsWith("\n" + UntrustedText.FENCE_END);
      String body = text.substring(UntrustedText.FENCE_BEGIN.length(), text.length() - UntrustedText.FENCE_END.length());
      assertThat(body).as("payload %d inside the fence", i).contains("INJ" + i + "-START", "INJ" + i + "-END");
      assertThat(body).as("payload %d: no second fence marker", i).doesNotContainIgnoringCase("UNTRUSTED CLINICAL TEXT")
          .doesNotContain("<<<", ">>>");
      assertThat(HIDDEN.matcher(body).find()).as("payload %d: hidden characters remain: %s", i, body).isFalse();
      assertThat(EXTERNAL.matcher(body).find()).as("payload %d: link, data URI or markup remains: %s", i, body).isFalse();
      // the whole structured result (not only the text) carries no second fence
      assertThat(out.text().split(Pattern.quote("<<<END UNTRUSTED CLINICAL TEXT>>>"), -1)).hasSize(2);
    }
  }

  @Test
  void callsOutsideTheTokensPatientBindingAreRefused() {
    int refused = 0;
    for (String pid : patients) {
      Caller c = boundTo(pid);
      for (String other : patients) {
        if (other.equals(pid)) {
          continue;
        }
        for (ToolSpec t : ToolCatalog.readTools().tools()) {
          if (!t.patientScoped()) {
            continue;
          }
          Map<String, Object> args = t.name().equals("get_encounter")
              ? Map.of("patient_id", other, "encounter_id", "x") : Map.of("patient_id", other);
          ToolOutcome out = call(c, t.name(), args);
          assertThat(out.error()).as("%s for another patient", t.name()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
          refused++;
        }
      }
      // Without patient_id the bound patient is used: never another one.
      ToolOutcome own = call(c, "get_patient_demographics", Map.of());
      if (!own.isError()) {
        assertThat(((Map<?, ?>) own.structured().get("patient")).get("id")).isEqualTo(pid);
      }
      // find_patient is not available to a patient-bound token (user/ scope only).
      assertThat(call(c, "find_patient", Map.of("identifier", other(pid))).error()).isEqualTo(ToolCallException.Reason.FORBIDDEN);
    }
    assertThat(refused).isGreaterThan(200);
  }

  private static String other(String pid) {
    return patients.stream().filter(p -> !p.equals(pid)).findFirst().orElseThrow();
  }

  @Test
  void noToolBothReadsFreeTextAndSendsDataOut() {
    for (ToolSpec t : ToolCatalog.readTools().tools()) {
      assertThat(t.hints().readOnly()).as(t.name()).isTrue();
      assertThat(t.hints().openWorld()).as(t.name()).isFalse();
    }
  }
}
