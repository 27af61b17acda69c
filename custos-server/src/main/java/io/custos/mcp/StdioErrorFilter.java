package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The stdio counterpart of the HTTP unknown-tool gate (issue 5): MCP SDK 2.1.0 answers {@code tools/call} of an
 * unknown tool with {@code error.data = "Tool not found: <name>"}, reflecting the client's string on standard
 * output. The stdio transport has no request filter, so this stream sits between the SDK and standard output:
 * it passes every newline-delimited JSON-RPC message through unchanged, except such an error, whose error
 * object is replaced by the fixed, name-independent {@code {"code": -32602, "message": "Unknown tool."}}.
 */
public final class StdioErrorFilter extends OutputStream {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] MARKER = "Tool not found: ".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final OutputStream out;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  public StdioErrorFilter(OutputStream out) {
    this.out = out;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    line.write(b);
    if (b == '\n') {
      emit();
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  /** Flushes complete messages only; a partial line waits for its newline. */
  @Override
  public synchronized void flush() throws IOException {
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    if (line.size() > 0) {
      out.write(line.toByteArray());
      line.reset();
    }
    out.close();
  }

  private void emit() throws IOException {
    byte[] bytes = line.toByteArray();
    line.reset();
    out.write(contains(bytes, MARKER) ? sanitize(bytes) : bytes);
  }

  static byte[] sanitize(byte[] message) {
    try {
      JsonNode n = JSON.readTree(message);
      if (n instanceof ObjectNode o && o.path("error").path("data").asText("").startsWith("Tool not found: ")) {
        ObjectNode error = JSON.createObjectNode().put("code", -32602).put("message", "Unknown tool.");
        o.set("error", error);
        return (JSON.writeValueAsString(o) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      // not JSON: pass through
    }
    return message;
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
