package io.custos.tools;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tool manifest pinning (prompt-injection defence): a SHA-256 over the canonical JSON of every
 * tool declaration the model sees or the policy enforces (name, title, description, input and output
 * schemas, annotations, required scopes, allowed elements, result bound). It is computed at start-up,
 * logged ({@code tool manifest sha256=...}) and published in the {@code custos://policy} resource, so a
 * client can detect a changed tool ("rug pull"), and a compliance officer can tie a policy version to
 * exactly one set of tool declarations.
 *
 * <p>Changing any declaration requires a policy version change: add a new entry to {@link #PINNED} with a
 * new {@link #POLICY_VERSION} (entries are append-only history). {@code ToolManifestTest} fails while the
 * computed hash differs from the pinned hash of the current version.
 */
public final class ToolManifest {
  /** The current tool-policy version. */
  public static final String POLICY_VERSION = "2026.6";

  /** Policy version -> manifest hash, append-only. */
  public static final Map<String, String> PINNED = Map.of(
      "2026.1", "51544564a0d46364d91da7bf7ec6d89babf284073ee68ac4f7d8fe8d5200a476",
      // patient_id optional in schemas (patient-bound tokens), shared date-range declarations
      "2026.2", "3ec1d8d6f8d5ef6d32a30c724f92aaeff443d568ab5f591242647d8851e4f8aa",
      // researcher tools cohort_count and cohort_extract exposed to the model (de-identified only)
      "2026.3", "8ca2a485674463a01c0b84c41a3241c78826568236726a5b449cf9c41533941f",
      // typed output schemas; find_patient: complete identifiers, exact names, at most 10 matches and no cursor
      "2026.4", "bafc4232aa3f6c850eb1454aafe7869f4df31d25aa0db366d57d8cc73190b0a1",
      // one registry: every tool (writes and status included), prompt, resource and the approval operation, each with
      // its route and authorization rules
      "2026.5", "e21d9b7399a7fa783cceba056bf73c62dbea325a23f511398ff397260f8d96e9",
      // research: protocol_id (sensitive cohorts, linkage), small cells suppressed across counts and extracts,
      // pseudonyms per extract; free text written by people returned as {"untrusted_text": ...} (concept text, dosage,
      // descriptions, reference ranges, string values, payer dispositions), and tool descriptions that say so;
      // get_patient_consents: the patient's active consent directives in plain words; research results signal withheld
      // sensitive conditions
      "2026.6", "f6eafab530e6ab84d80514cc85b4cc475fb0b96c79b4154ce0460fe2ce2ab4cf");

  private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private final String sha256;
  private final int tools;

  private ToolManifest(String sha256, int tools) {
    this.sha256 = sha256;
    this.tools = tools;
  }

  /** Hashes every declaration in {@code registry}: tools, prompts, resources and operations. */
  public static ToolManifest of(Registry registry) {
    List<Map<String, Object>> decls = new ArrayList<>();
    for (Declaration d : registry.all()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", d.kind().name());
      m.put("name", d.name());
      m.put("title", d.title());
      m.put("description", d.description());
      m.put("inputSchema", d.inputSchema());
      m.put("outputSchema", d.outputSchema());
      m.put("annotations", Map.of("readOnlyHint", d.hints().readOnly(), "destructiveHint", d.hints().destructive(),
          "idempotentHint", d.hints().idempotent(), "openWorldHint", d.hints().openWorld()));
      m.put("requiredScopes", d.requiredScopes());
      m.put("route", d.route().name());
      m.put("access", PolicyDocument.access(d.access()));
      if (d instanceof ToolSpec t) {
        m.put("allowedElements", t.allowedElements());
        m.put("maxResults", t.maxResults());
      }
      decls.add(m);
    }
    try {
      byte[] json = CANONICAL.writeValueAsBytes(decls);
      return new ToolManifest(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)), decls.size());
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("tool manifest cannot be computed", e);
    }
  }

  public String sha256() {
    return sha256;
  }

  public int toolCount() {
    return tools;
  }

  /** Whether this manifest is the one pinned for {@link #POLICY_VERSION}. */
  public boolean matchesPolicyVersion() {
    return sha256.equals(PINNED.get(POLICY_VERSION));
  }

  /** The fields published in the policy resource. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policyVersion", POLICY_VERSION);
    m.put("sha256", sha256);
    m.put("tools", tools);
    m.put("pinned", matchesPolicyVersion());
    return m;
  }
}
