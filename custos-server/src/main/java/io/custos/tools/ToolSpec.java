package io.custos.tools;

import io.custos.fhir.UpstreamRequest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Resource;

/**
 * A tool declared as data: everything the governance pipeline, the policy resource and {@code tools/list}
 * need to know about one MCP tool. The catalog ({@link ToolCatalog}) is the single list of these.
 *
 * @param name            MCP tool name (snake_case)
 * @param title           human-readable title
 * @param description     what the tool returns, for the model
 * @param resourceType    the FHIR R4 resource type it reads
 * @param inputSchema     JSON Schema for arguments; always {@code additionalProperties: false}
 * @param outputSchema    JSON Schema for structuredContent
 * @param hints           MCP annotations
 * @param requiredScopes  SMART v2 scopes, any one of which permits the call (e.g. {@code patient/Condition.rs})
 * @param allowedElements the FHIR elements this tool may return (minimum necessary, 45 CFR 164.514(d))
 * @param maxResults      hard bound on items per page (1..50)
 * @param patientPath     FHIRPath-like element holding the patient reference (e.g. {@code subject}),
 *                        checked on every returned resource; empty for tools not bound to one patient
 * @param maxDateRangeDays bound on {@code date_from..date_to}, or 0 when the tool takes no date range
 * @param query           builds the upstream request from validated arguments and the bound patient id
 * @param projection      turns one allowed resource into the compact JSON the model sees
 * @param shape           list or single result
 */
public record ToolSpec(
    String name,
    String title,
    String description,
    String resourceType,
    Map<String, Object> inputSchema,
    Map<String, Object> outputSchema,
    ToolHints hints,
    List<String> requiredScopes,
    List<String> allowedElements,
    int maxResults,
    Optional<String> patientPath,
    int maxDateRangeDays,
    Query query,
    Function<Resource, Map<String, Object>> projection,
    ResultShape shape) implements Declaration {

  /** Builds the upstream request. {@code patientId} is the pipeline's bound patient, never taken from free text. */
  @FunctionalInterface
  public interface Query {
    UpstreamRequest build(ToolArguments args, String patientId, int pageSize);
  }

  public ToolSpec {
    inputSchema = Map.copyOf(inputSchema);
    outputSchema = Map.copyOf(outputSchema);
    requiredScopes = List.copyOf(requiredScopes);
    allowedElements = List.copyOf(allowedElements);
    if (!Boolean.FALSE.equals(inputSchema.get("additionalProperties"))) {
      throw new IllegalArgumentException(name + ": inputSchema must set additionalProperties=false");
    }
    if (maxResults < 1 || maxResults > 50) {
      throw new IllegalArgumentException(name + ": maxResults must be 1..50");
    }
  }

  /** Read tools take the read route. */
  @Override
  public Route route() {
    return Route.READ;
  }

  /** Read and search on the resource type; bound to a patient when the tool reads one patient's compartment. */
  @Override
  public Access access() {
    return patientScoped() ? Access.readPatient(resourceType) : Access.readDirectory(resourceType);
  }

  /** Whether the tool reads one patient's compartment (and so needs a bound patient). */
  public boolean patientScoped() {
    return patientPath.isPresent();
  }
}
