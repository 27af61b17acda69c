package io.custos.mcp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Standard output of the stdio transport (MCP 2025-11-25 Transports, stdio: newline-delimited JSON-RPC messages).
 * The stdio counterpart of the HTTP response filter: it sits between the SDK and standard output and passes every
 * message through unchanged, except JSON-RPC error responses, which {@link OutboundErrors} reduces to their code
 * and a fixed message (the SDK 2.1.0 echoes unknown method, tool and prompt names and resource URIs, and puts
 * exception messages into errors). {@link StdioInboundFilter} answers refused messages through {@link #reply}.
 */
public final class StdioErrorFilter extends OutputStream {
  private static final byte[] ERROR_MEMBER = "\"error\"".getBytes(StandardCharsets.UTF_8);

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

  /**
   * Writes one complete message of this server's own, between the SDK's messages (the SDK writes each message with
   * its newline while holding this stream's lock, so no SDK message is ever half-written when this runs).
   *
   * @param message one JSON-RPC message, serialized on one line without its newline
   */
  public synchronized void reply(String message) throws IOException {
    out.write((message + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
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
    out.write(contains(bytes, ERROR_MEMBER) ? sanitize(bytes) : bytes);
  }

  /** One newline-terminated message with its error object reduced by {@link OutboundErrors}. */
  static byte[] sanitize(byte[] message) {
    String text = new String(message, 0, message.length - 1, StandardCharsets.UTF_8);
    String clean = OutboundErrors.sanitize(text);
    return clean.equals(text) ? message : (clean + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Whether {@code needle} occurs in {@code hay} (a byte scan, no parse). */
  static boolean contains(byte[] hay, byte[] needle) {
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
