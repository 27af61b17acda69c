package io.custos.mcp.v2026;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The outcome of {@link Envelope#check}: a request to serve, a notification, or the first failed check. */
public sealed interface Checked permits Envelope, Checked.Notification, Checked.Rejected {
  /** A notification (no id): acknowledged and dropped, the 2026-07-28 core defines none from client to server. */
  public record Notification() implements Checked {}

  /**
   * The first failed check, as a JSON-RPC error.
   *
   * @param id    the request's id when it had a usable one
   * @param error code and fixed message
   * @param data  error data ({@code supported} versions for -32022)
   */
  public record Rejected(Optional<JsonNode> id, io.custos.mcp.RpcError error, Optional<JsonNode> data) implements Checked {
    /** The JSON-RPC error response. */
    public ObjectNode response() {
      ObjectNode r = error.response(id);
      data.ifPresent(d -> ((ObjectNode) r.get("error")).set("data", d));
      return r;
    }
  }
}
