package io.custos.tools;

/**
 * MCP tool annotations (spec 2025-11-25, "Tool annotations"). Hints for clients, not security
 * controls: enforcement lives in the pipeline.
 */
public record ToolHints(boolean readOnly, boolean destructive, boolean idempotent, boolean openWorld) {
  /** Reads from the covered entity's own FHIR server: read-only, idempotent, closed world. */
  public static final ToolHints READ = new ToolHints(true, false, true, false);
}
