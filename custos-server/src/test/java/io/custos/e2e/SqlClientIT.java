package io.custos.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The legacy SQL tools with the official TypeScript SDK client against {@code ./custos demo} (Synthea patients in the
 * FHIR store and, from Synthea's CSV export of the same people, the legacy database in embedded PostgreSQL):
 * {@code e2e/sql-check.mjs} calls every SQL tool for each patient of {@code connection.json} in the clinician's care and
 * finds the active conditions' SNOMED CT codes and active medications' RxNorm codes of the FHIR tools in the legacy
 * answers; a patient outside care, found in the demo's data, is refused by every SQL tool with the FHIR tools' refusal;
 * {@code sql_query} refuses a UNION by rule without repeating it and answers within the patient's compartment.
 */
class SqlClientIT {
  @RegisterExtension
  final ChildProcesses children = new ChildProcesses();

  @Test
  void typescriptSdkClientFindsTheFhirAnswersInTheLegacySqlTools(@TempDir Path dir) throws Exception {
    DemoRun.Started demo = DemoRun.start(children, dir, "sql-demo", "--port", "0", "--patients", "3", "--seed", "11");
    try {
      DemoRun.awaitReady(demo, Duration.ofMinutes(5));
      JsonNode sql = new ObjectMapper().readTree(dir.resolve("connection.json").toFile()).path("sql");
      assertThat(sql.path("jdbc_url").asText()).startsWith("jdbc:postgresql://");
      assertThat(sql.path("tools").path("conditions").asText()).isEqualTo("legacy_active_diagnoses");
      int passed = ClientScript.run(ClientScript.in("sh", "e2e/with-node.sh", "node", "e2e/sql-check.mjs",
          dir.resolve("connection.json").toString()), "sql-check", Duration.ofMinutes(5));
      // Per patient in care: conditions, medications and labs; plus the tools, care, refusals and sql_query checks.
      assertThat(passed).as("checks run").isGreaterThanOrEqualTo(12);
    } finally {
      demo.process().destroy(); // SIGTERM, as Ctrl-C
      assertThat(demo.process().waitFor(30, TimeUnit.SECONDS)).as("demo stops on SIGTERM").isTrue();
    }
  }
}
