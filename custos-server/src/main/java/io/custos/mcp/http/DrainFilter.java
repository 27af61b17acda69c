package io.custos.mcp.http;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Graceful shutdown. Counts the requests in flight (an asynchronous one, such as a tool call answered as an SSE
 * stream, until its response completes); once {@link #drain} is called, every new request is refused with 503 and
 * {@code Retry-After: 1} (RFC 9110 sections 15.6.4 and 10.2.3: retryable, nothing was done, so a load balancer may send
 * it to another replica) and a JSON-RPC error body, while the calls already admitted run to their end.
 * Long-lived GET streams (server-to-client notifications) are not calls and are not waited for.
 */
final class DrainFilter extends HttpFilter {
  /** JSON-RPC implementation-defined server error: the server is shutting down, the request was not processed. */
  static final int SHUTTING_DOWN = -32001;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object idle = new Object();

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!"POST".equals(req.getMethod())) {
      if (refusedWhileDraining(res)) {
        return;
      }
      chain.doFilter(req, res);
      return;
    }
    // Counted before the check: a drain that saw no call in flight can then never miss one admitted right after.
    inFlight.incrementAndGet();
    if (refusedWhileDraining(res)) {
      done();
      return;
    }
    boolean async = false;
    try {
      chain.doFilter(req, res);
      if (req.isAsyncStarted()) {
        async = true;
        req.getAsyncContext().addListener(new AsyncListener() {
          @Override
          public void onComplete(AsyncEvent e) {
            done();
          }

          @Override
          public void onTimeout(AsyncEvent e) {
            // onComplete follows
          }

          @Override
          public void onError(AsyncEvent e) {
            // onComplete follows
          }

          @Override
          public void onStartAsync(AsyncEvent e) {
            e.getAsyncContext().addListener(this);
          }
        });
      }
    } finally {
      if (!async) {
        done();
      }
    }
  }

  private boolean refusedWhileDraining(HttpServletResponse res) throws IOException {
    if (!draining.get()) {
      return false;
    }
    res.setHeader("Retry-After", "1");
    JsonRpcErrors.write(res, 503, SHUTTING_DOWN, "Server is shutting down; retry the request.");
    return true;
  }

  private void done() {
    if (inFlight.decrementAndGet() == 0) {
      synchronized (idle) {
        idle.notifyAll();
      }
    }
  }

  /** Whether new requests are still admitted (false once draining: {@code /readyz} then reports 503). */
  boolean accepting() {
    return !draining.get();
  }

  /** Requests admitted and not yet finished. */
  int inFlight() {
    return inFlight.get();
  }

  /**
   * Refuses new requests from now on and waits until the admitted ones finish or {@code timeout} passes.
   *
   * @return the requests still in flight when it returned (0 when all finished)
   */
  int drain(Duration timeout) throws InterruptedException {
    draining.set(true);
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idle) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        idle.wait(Math.max(1, left / 1_000_000));
      }
    }
    return inFlight.get();
  }
}
