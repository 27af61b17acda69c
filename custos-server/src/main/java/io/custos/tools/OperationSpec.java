package io.custos.tools;

import io.custos.fhir.UpstreamNeed;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A declaration that needs no route-specific data beyond its schemas: break-the-glass, the researcher tools, the
 * prior-authorization status, the approval operation, prompts and resources. Built with {@link #builder(String)}.
 */
public record OperationSpec(String name, String title, String description, Map<String, Object> inputSchema,
    Map<String, Object> outputSchema, ToolHints hints, List<String> requiredScopes, Route route, Access access, Kind kind,
    List<UpstreamNeed> upstreamNeeds) implements Declaration {

  public OperationSpec {
    inputSchema = Map.copyOf(inputSchema);
    outputSchema = Map.copyOf(outputSchema);
    requiredScopes = List.copyOf(requiredScopes);
    upstreamNeeds = List.copyOf(upstreamNeeds);
    if (!Boolean.FALSE.equals(inputSchema.get("additionalProperties"))) {
      throw new IllegalArgumentException(name + ": inputSchema must set additionalProperties=false");
    }
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Builder; title, description, input schema, route and access are required. */
  public static final class Builder {
    private final String name;
    private String title;
    private String description;
    private Map<String, Object> input;
    private Map<String, Object> output = Map.of();
    private ToolHints hints = ToolHints.READ;
    private List<String> scopes = List.of();
    private Route route;
    private Access access;
    private Kind kind = Kind.TOOL;
    private List<UpstreamNeed> needs = List.of();

    private Builder(String name) {
      this.name = Objects.requireNonNull(name);
    }

    public Builder title(String v) {
      title = v;
      return this;
    }

    public Builder description(String v) {
      description = v;
      return this;
    }

    public Builder input(Map<String, Object> v) {
      input = v;
      return this;
    }

    public Builder output(Map<String, Object> v) {
      output = v;
      return this;
    }

    public Builder hints(ToolHints v) {
      hints = v;
      return this;
    }

    public Builder scopes(String... v) {
      scopes = List.of(v);
      return this;
    }

    public Builder route(Route v) {
      route = v;
      return this;
    }

    public Builder access(Access v) {
      access = v;
      return this;
    }

    public Builder kind(Kind v) {
      kind = v;
      return this;
    }

    /**
     * What the operation needs from the FHIR upstream, checked against its CapabilityStatement at start; none by
     * default (operations that do not reach the upstream).
     */
    public Builder needs(UpstreamNeed... v) {
      needs = List.of(v);
      return this;
    }

    public OperationSpec build() {
      return new OperationSpec(name, Objects.requireNonNull(title, "title"), Objects.requireNonNull(description, "description"),
          Objects.requireNonNull(input, "input"), output, hints, scopes, Objects.requireNonNull(route, "route"),
          Objects.requireNonNull(access, "access"), kind, needs);
    }
  }
}
