package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.custos.auth.Caller;
import io.custos.cli.ServerAssembly;
import io.custos.mcp.StdioErrorFilter;
import io.custos.mcp.StdioInboundFilter;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One in-process stdio session of a real Custos: initialize, initialized, the given messages, then a final
 * {@code ping}. Filtered as {@code custos serve --stdio} runs it ({@link StdioInboundFilter} on standard input,
 * {@link StdioErrorFilter} on standard output) or raw (the SDK alone).
 */
final class StdioSession {
  /** The id of the closing ping; its answer ends the session. */
  static final String END = "\"end-of-session\"";

  private StdioSession() {}

  /**
   * @param messages each sent on its own line (newlines inside are removed); a message with an id is answered before
   *                 the next is sent
   * @return every line written to standard output, the closing ping's answer last
   */
  static List<String> run(Path dataDir, Caller caller, boolean filtered, String... messages) throws Exception {
    try (ServerAssembly app = new ServerAssembly(HttpTestSupport.config(dataDir, "plain", 1 << 20))) {
      PipedOutputStream toServer = new PipedOutputStream();
      PipedInputStream serverIn = new PipedInputStream(toServer, 1 << 16);
      PipedInputStream fromServer = new PipedInputStream(1 << 20);
      OutputStream serverOut = new PipedOutputStream(fromServer);
      McpSyncServer server = filtered ? app.mcp().startStdio(serverIn, serverOut, () -> Optional.of(caller), app.envelopes())
          : app.mcp().start(new StdioServerTransportProvider(app.jsonMapper(), serverIn, serverOut), () -> Optional.of(caller));
      List<String> lines = new ArrayList<>();
      // Not closed here: the reader thread holds the reader's lock while it waits; ending the pipes ends it.
      BlockingQueue<String> reader = lines(new BufferedReader(new InputStreamReader(fromServer, StandardCharsets.UTF_8)));
      try {
        send(toServer, HttpTestSupport.initializeBody("2025-11-25"));
        lines.add(next(reader));
        send(toServer, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        for (String message : messages) {
          send(toServer, message);
          JsonNode id = requestId(message);
          if (id != null) {
            readUntil(reader, lines, id.toString());
          }
        }
        send(toServer, "{\"jsonrpc\":\"2.0\",\"id\":" + END + ",\"method\":\"ping\"}");
        readUntil(reader, lines, END);
      } finally {
        server.closeGracefully();
        toServer.close();
        serverOut.close();
      }
      return lines;
    }
  }

  /** The answer to the request with {@code id} (JSON text, e.g. {@code 3} or {@code "a"}) among {@code lines}. */
  static JsonNode answer(List<String> lines, String id) {
    for (String line : lines) {
      JsonNode n = parse(line);
      if (n.path("id").toString().equals(id) && !n.has("method")) {
        return n;
      }
    }
    throw new AssertionError("no answer with id " + id + " in " + lines);
  }

  /** One stdout line as JSON. */
  static JsonNode parse(String line) {
    try {
      return HttpTestSupport.JSON.readTree(line);
    } catch (java.io.IOException e) {
      throw new AssertionError("stdout line is not JSON: " + line, e);
    }
  }

  /** The id of a request (a message with a method and a string or integer id), else null: nothing to wait for. */
  private static JsonNode requestId(String message) {
    try {
      JsonNode n = HttpTestSupport.JSON.readTree(message);
      JsonNode id = n.get("id");
      return n.has("method") && id != null && (id.isTextual() || id.isIntegralNumber()) ? id : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Standard output, line by line, read by a daemon thread (so that waiting for a line can time out). */
  private static BlockingQueue<String> lines(BufferedReader stdout) {
    BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    Thread.ofPlatform().daemon(true).name("stdio-test-reader").start(() -> {
      try {
        for (String line; (line = stdout.readLine()) != null; ) {
          queue.add(line);
        }
      } catch (java.io.IOException e) {
        // the session ended
      }
    });
    return queue;
  }

  private static String next(BlockingQueue<String> reader) throws InterruptedException {
    String line = reader.poll(60, TimeUnit.SECONDS);
    assertThat(line).as("a line on stdout within 60 s").isNotNull();
    return line;
  }

  private static void readUntil(BlockingQueue<String> reader, List<String> lines, String id) throws Exception {
    while (true) {
      String line = next(reader);
      lines.add(line);
      if (line.contains("\"id\":" + id + ",") || line.contains("\"id\":" + id + "}")) {
        return;
      }
    }
  }

  private static void send(OutputStream out, String message) throws Exception {
    out.write((message.replace("\n", "").replace("\r", "") + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
