package io.custos.mcp.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Refuses request bodies over the configured size (413) before anything parses them, and adds
 * response headers that keep PHI out of caches ({@code Cache-Control: no-store}). The bound holds for a
 * declared {@code Content-Length} and, while reading, for bodies without one (chunked): reading stops one
 * byte past the bound, so no later filter can buffer an endless body.
 */
final class RequestLimitFilter extends HttpFilter {
  private final long maxBytes;

  RequestLimitFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");
    if (req.isSecure()) {
      res.setHeader("Strict-Transport-Security", "max-age=31536000");
    }
    if (req.getContentLengthLong() > maxBytes) {
      // A moderately oversized declared body is read and discarded first, so the client (still sending)
      // reliably receives the 413 instead of a reset connection; beyond the drain bound the connection is closed.
      if (req.getContentLengthLong() <= DRAIN_LIMIT) {
        req.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      }
      tooLarge(res);
      return;
    }
    try {
      chain.doFilter(req.getContentLengthLong() >= 0 ? req : new Bounded(req, maxBytes), res);
    } catch (TooLarge e) {
      tooLarge(res);
    }
  }

  /** Largest declared oversized body that is drained before the 413 (bytes). */
  static final long DRAIN_LIMIT = 16L << 20;

  private void tooLarge(HttpServletResponse res) throws IOException {
    JsonRpcErrors.write(res, 413, JsonRpcErrors.INVALID_REQUEST, "Payload Too Large: at most " + maxBytes + " bytes.");
  }

  /** Thrown by a bounded body once it passes the bound. */
  static final class TooLarge extends IOException {
    TooLarge() {
      super("request body over the bound", null);
    }
  }

  /** A request whose body stream fails with {@link TooLarge} past {@code max} bytes. */
  private static final class Bounded extends HttpServletRequestWrapper {
    private final long max;
    private ServletInputStream stream;

    Bounded(HttpServletRequest request, long max) {
      super(request);
      this.max = max;
    }

    @Override
    public synchronized ServletInputStream getInputStream() throws IOException {
      if (stream == null) {
        ServletInputStream in = super.getInputStream();
        stream = new ServletInputStream() {
          private long count;

          private int counted(int n) throws TooLarge {
            if (n > 0) {
              count += n;
              if (count > max) {
                throw new TooLarge();
              }
            }
            return n;
          }

          @Override
          public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
              counted(1);
            }
            return b;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return counted(in.read(b, off, (int) Math.min(len, max + 1 - count)));
          }

          @Override
          public boolean isFinished() {
            return in.isFinished();
          }

          @Override
          public boolean isReady() {
            return in.isReady();
          }

          @Override
          public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
          }
        };
      }
      return stream;
    }

    @Override
    public BufferedReader getReader() throws IOException {
      return new BufferedReader(new InputStreamReader(getInputStream(),
          getCharacterEncoding() == null ? StandardCharsets.UTF_8.name() : getCharacterEncoding()));
    }
  }
}
