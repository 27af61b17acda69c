package io.custos.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standard input of the stdio transport: reads newline-delimited JSON-RPC messages and hands the SDK only those that
 * {@link InboundMessages} passes. A refused request is answered here, through {@link StdioErrorFilter#reply}, with
 * its fixed error (invalid JSON and invalid envelopes with {@code "id": null}); an unknown notification and a blank
 * line are dropped. Without it the SDK (2.1.0) stops reading standard input at the first line it cannot parse,
 * which ends the session. A line longer than {@code maxBytes} is discarded up to its newline and refused.
 */
public final class StdioInboundFilter extends InputStream {
  private static final Logger log = LoggerFactory.getLogger(StdioInboundFilter.class);
  /** Default bound of one message (bytes), as the SDK's own stdio bound. */
  public static final int DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private final InputStream in;
  private final StdioErrorFilter replies;
  private final int maxBytes;
  private final Consumer<JsonNode> passed;
  private final Function<JsonNode, Optional<JsonNode>> envelopes;
  private byte[] pending = new byte[0];
  private int position;
  private boolean eof;

  /**
   * @param in       the client's messages (standard input)
   * @param replies  the stream the SDK writes to (standard output), used for this filter's answers
   * @param maxBytes largest accepted message, newline excluded
   */
  public StdioInboundFilter(InputStream in, StdioErrorFilter replies, int maxBytes) {
    this(in, replies, maxBytes, message -> { });
  }

  /** With the {@link #DEFAULT_MAX_BYTES} bound. */
  public StdioInboundFilter(InputStream in, StdioErrorFilter replies) {
    this(in, replies, DEFAULT_MAX_BYTES);
  }

  /**
   * As above; {@code passed} sees each message handed to the SDK (parsed) just before the SDK reads it.
   */
  public StdioInboundFilter(InputStream in, StdioErrorFilter replies, int maxBytes, Consumer<JsonNode> passed) {
    this(in, replies, maxBytes, passed, message -> Optional.empty());
  }

  /**
   * As above; a message that {@link EnvelopeFront#carriesEnvelope carries its own protocol envelope} (MCP 2026-07-28)
   * never reaches the SDK: {@code envelopes} answers it, on this reading thread, and its answer is written here.
   */
  public StdioInboundFilter(InputStream in, StdioErrorFilter replies, int maxBytes, Consumer<JsonNode> passed,
      Function<JsonNode, Optional<JsonNode>> envelopes) {
    this.in = new java.io.BufferedInputStream(in);
    this.replies = replies;
    this.maxBytes = maxBytes;
    this.passed = passed;
    this.envelopes = envelopes;
  }

  @Override
  public synchronized int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return pending[position++] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, pending.length - position);
    System.arraycopy(pending, position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  /** Makes the next passed message available; false at the end of input. */
  private boolean fill() throws IOException {
    while (position >= pending.length) {
      if (eof) {
        return false;
      }
      byte[] line = readLine();
      if (line == null) {
        continue;
      }
      if (isBlank(line)) {
        continue;
      }
      if (divert(line)) {
        continue;
      }
      switch (InboundMessages.check(line)) {
        case InboundMessages.Pass p -> {
          passed.accept(p.message());
          pending = Arrays.copyOf(line, line.length + 1);
          pending[line.length] = '\n';
          position = 0;
        }
        case InboundMessages.Drop d -> log.info("notification dropped: {}", InboundMessages.UNKNOWN_METHOD);
        case InboundMessages.Refuse r -> refuse(r);
      }
    }
    return true;
  }

  /** Answers a 2026-07-28 message here; false for every other line (they go through the checks to the SDK). */
  private boolean divert(byte[] line) throws IOException {
    if (!EnvelopeFront.mayCarryEnvelope(line)) {
      return false; // the common case costs a byte scan, not a second parse
    }
    JsonNode message;
    try {
      message = JSON.readTree(line);
    } catch (IOException e) {
      return false;
    }
    if (message == null || !EnvelopeFront.carriesEnvelope(message)) {
      return false;
    }
    Optional<JsonNode> answer = envelopes.apply(message);
    if (answer.isPresent()) {
      replies.reply(answer.get().toString());
    }
    return true;
  }

  private void refuse(InboundMessages.Refuse r) throws IOException {
    log.info("stdio message refused ({}): JSON-RPC error {}", r.method(), r.error().code());
    // JSON-RPC 2.0 answers every request and every unparseable or invalid message, but never a notification.
    if (r.answersRequest() || r.malformed()) {
      replies.reply(r.response().toString());
    }
  }

  /** The next line without its newline; null when it was over the bound (then refused here) or at end of input. */
  private byte[] readLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    boolean over = false;
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (b.size() < maxBytes) {
        b.write(c);
      } else {
        over = true;
      }
    }
    if (c < 0) {
      eof = true;
      if (b.size() == 0) {
        return null;
      }
    }
    if (over) {
      refuse(new InboundMessages.Refuse(java.util.Optional.empty(), RpcError.invalidRequest("the message is too large"),
          InboundMessages.UNKNOWN_METHOD));
      return null;
    }
    return b.toByteArray();
  }

  private static boolean isBlank(byte[] line) {
    for (byte x : line) {
      if (x != ' ' && x != '\t' && x != '\r') {
        return false;
      }
    }
    return true;
  }
}
