package io.custos.tools;

import io.custos.fhir.UpstreamNeed;
import io.custos.fhir.UpstreamRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

  /**
   * Starts a declaration of the tool called {@code name}. Every field is required except {@code patientPath}
   * (default: not patient-scoped), {@code maxDateRangeDays} (default 0, no date range), {@code hints} (default
   * {@link ToolHints#READ}) and {@code shape} (default {@link ResultShape#LIST}).
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A builder holding this declaration's values, e.g. to wrap its projection in a test. */
  public Builder toBuilder() {
    return builder(name).title(title).description(description).resourceType(resourceType).input(inputSchema)
        .output(outputSchema).hints(hints).scopes(requiredScopes).elements(allowedElements).maxResults(maxResults)
        .patientPath(patientPath).maxDateRangeDays(maxDateRangeDays).query(query).projection(projection).shape(shape);
  }

  /** Builds a {@link ToolSpec}; {@link #build()} fails with IllegalStateException naming a missing field. */
  public static final class Builder {
    private final String name;
    private String title;
    private String description;
    private String resourceType;
    private Map<String, Object> inputSchema;
    private Map<String, Object> outputSchema;
    private ToolHints hints = ToolHints.READ;
    private List<String> requiredScopes;
    private List<String> allowedElements;
    private int maxResults;
    private Optional<String> patientPath = Optional.empty();
    private int maxDateRangeDays;
    private Query query;
    private Function<Resource, Map<String, Object>> projection;
    private ResultShape shape = ResultShape.LIST;

    private Builder(String name) {
      this.name = name;
    }

    public Builder title(String title) {
      this.title = title;
      return this;
    }

    public Builder description(String description) {
      this.description = description;
      return this;
    }

    public Builder resourceType(String resourceType) {
      this.resourceType = resourceType;
      return this;
    }

    /** The strict JSON Schema of the arguments. */
    public Builder input(Map<String, Object> inputSchema) {
      this.inputSchema = inputSchema;
      return this;
    }

    /** The JSON Schema of structuredContent. */
    public Builder output(Map<String, Object> outputSchema) {
      this.outputSchema = outputSchema;
      return this;
    }

    public Builder hints(ToolHints hints) {
      this.hints = hints;
      return this;
    }

    /** SMART v2 scopes, any one of which permits the call. */
    public Builder scopes(List<String> requiredScopes) {
      this.requiredScopes = requiredScopes;
      return this;
    }

    /** FHIR element paths the tool may return (minimum necessary). */
    public Builder elements(List<String> allowedElements) {
      this.allowedElements = allowedElements;
      return this;
    }

    /** Items per page, 1..50. */
    public Builder maxResults(int maxResults) {
      this.maxResults = maxResults;
      return this;
    }

    /** Element holding the patient reference, or {@code id} for a Patient read. */
    public Builder patientPath(String patientPath) {
      return patientPath(Optional.of(patientPath));
    }

    public Builder patientPath(Optional<String> patientPath) {
      this.patientPath = patientPath;
      return this;
    }

    /** Bound on {@code date_from..date_to} in days; 0 when the tool takes no date range. */
    public Builder maxDateRangeDays(int maxDateRangeDays) {
      this.maxDateRangeDays = maxDateRangeDays;
      return this;
    }

    public Builder query(Query query) {
      this.query = query;
      return this;
    }

    public Builder projection(Function<Resource, Map<String, Object>> projection) {
      this.projection = projection;
      return this;
    }

    public Builder shape(ResultShape shape) {
      this.shape = shape;
      return this;
    }

    /** @throws IllegalArgumentException if the declaration is inconsistent (see the record's checks) */
    public ToolSpec build() {
      return new ToolSpec(name, required(title, "title"), required(description, "description"),
          required(resourceType, "resourceType"), required(inputSchema, "input"), required(outputSchema, "output"),
          required(hints, "hints"), required(requiredScopes, "scopes"), required(allowedElements, "elements"), maxResults,
          required(patientPath, "patientPath"), maxDateRangeDays, required(query, "query"),
          required(projection, "projection"), required(shape, "shape"));
    }

    private <T> T required(T value, String field) {
      if (value == null) {
        throw new IllegalStateException(name + ": " + field + " is not set");
      }
      return value;
    }
  }

  /**
   * Derived from {@link #query}: the request it builds when every declared argument is given (so every search
   * parameter the tool can send), as a read or a search with its parameters. Result parameters such as
   * {@code _sort} are not listed: a CapabilityStatement does not declare them per resource.
   */
  @Override
  public List<UpstreamNeed> upstreamNeeds() {
    UpstreamRequest probe = query.build(new ToolArguments(probeArguments()), "probe", maxResults);
    return switch (probe) {
      case UpstreamRequest.Read read -> List.of(UpstreamNeed.interaction(read.resourceType(), UpstreamNeed.Interaction.READ));
      case UpstreamRequest.Search search -> {
        List<UpstreamNeed> needs = new ArrayList<>();
        needs.add(UpstreamNeed.interaction(search.resourceType(), UpstreamNeed.Interaction.SEARCH_TYPE));
        search.params().keySet().stream().filter(k -> !k.startsWith("_")).sorted()
            .forEach(k -> needs.add(UpstreamNeed.searchParam(search.resourceType(), k)));
        yield needs;
      }
    };
  }

  /** A valid-looking value for every declared argument: an enum's first value, a date, a number, a token. */
  private Map<String, Object> probeArguments() {
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> props = (Map<String, Map<String, Object>>) inputSchema.getOrDefault("properties", Map.of());
    Map<String, Object> args = new LinkedHashMap<>();
    props.forEach((name, schema) -> {
      Object value = schema.get("enum") instanceof List<?> values && !values.isEmpty() ? values.get(0)
          : "integer".equals(schema.get("type")) || "number".equals(schema.get("type")) ? 1
          : "boolean".equals(schema.get("type")) ? Boolean.TRUE
          : "date".equals(schema.get("format")) ? "2000-01-01" : "probe";
      args.put(name, value);
    });
    return args;
  }

  /** Whether the tool reads one patient's compartment (and so needs a bound patient). */
  public boolean patientScoped() {
    return patientPath.isPresent();
  }
}
