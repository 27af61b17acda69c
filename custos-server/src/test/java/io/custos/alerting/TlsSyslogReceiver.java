package io.custos.alerting;

import io.custos.mcp.http.SelfSignedCertificate;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * A real TLS syslog collector for tests (RFC 5425): a TLS 1.3/1.2 server socket with a self-signed certificate that
 * reads octet-counted frames ({@code MSG-LEN SP SYSLOG-MSG}) and keeps each message, decoded from exactly MSG-LEN
 * bytes of UTF-8. A frame whose length prefix is not digits fails the connection (recorded in {@link #framingErrors}).
 */
public final class TlsSyslogReceiver implements AutoCloseable {
  private final SSLServerSocket server;
  private final SelfSignedCertificate certificate;
  private final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
  public final List<String> received = new CopyOnWriteArrayList<>();
  final List<String> framingErrors = new CopyOnWriteArrayList<>();

  public TlsSyslogReceiver(Path dir) throws Exception {
    this.certificate = SelfSignedCertificate.loadOrCreate(dir);
    var ks = certificate.load();
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks.store(), ks.password());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    this.server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 8, InetAddress.getLoopbackAddress());
    server.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    Thread.ofVirtual().start(this::acceptLoop);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** The PEM certificate a client must trust. */
  public Path certificatePem() {
    return certificate.certificate();
  }

  /** The next message, waiting up to 10 s (delivery is asynchronous). */
  String next() throws InterruptedException {
    String m = messages.poll(10, TimeUnit.SECONDS);
    if (m == null) {
      throw new AssertionError("no syslog message within 10 s");
    }
    return m;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread.ofVirtual().start(() -> read(s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void read(Socket socket) {
    try (socket; DataInputStream in = new DataInputStream(socket.getInputStream())) {
      while (true) {
        int length = length(in);
        if (length < 0) {
          return;
        }
        byte[] frame = new byte[length];
        in.readFully(frame);
        String m = new String(frame, StandardCharsets.UTF_8);
        received.add(m);
        messages.add(m);
      }
    } catch (IOException e) {
      // client went away
    }
  }

  /** MSG-LEN: ASCII digits up to one space; -1 at a clean end of stream. */
  private int length(InputStream in) throws IOException {
    ByteArrayOutputStream digits = new ByteArrayOutputStream();
    for (int b; (b = in.read()) != ' '; ) {
      if (b < 0) {
        if (digits.size() == 0) {
          return -1;
        }
        throw new EOFException();
      }
      if (b < '0' || b > '9' || digits.size() > 9) {
        framingErrors.add("not an octet count: byte " + b);
        throw new IOException("framing");
      }
      digits.write(b);
    }
    return Integer.parseInt(digits.toString(StandardCharsets.US_ASCII));
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
