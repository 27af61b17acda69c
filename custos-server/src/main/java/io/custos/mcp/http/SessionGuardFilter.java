package io.custos.mcp.http;

import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds each MCP session to the user ({@code sub}) and client that created it, and ends sessions idle
 * longer than the limit (HIPAA 164.312(a)(2)(iii) automatic logoff). Closes an SDK 2.1.0 gap: the SDK
 * lets any valid token use any session id. A request with another identity's session id gets 403; a
 * request on a logged-off session gets 404 (the client must initialize a new session).
 */
final class SessionGuardFilter extends HttpFilter {
  private static final Logger log = LoggerFactory.getLogger(SessionGuardFilter.class);
  private static final String HEADER = "Mcp-Session-Id";

  private static final class Binding {
    final String subject;
    final String clientId;
    volatile Instant lastSeen;

    Binding(String subject, String clientId, Instant lastSeen) {
      this.subject = subject;
      this.clientId = clientId;
      this.lastSeen = lastSeen;
    }
  }

  private final Map<String, Binding> sessions = new ConcurrentHashMap<>();
  private final Map<String, Instant> loggedOff = new ConcurrentHashMap<>();
  private final Duration idle;
  private final Clock clock;

  SessionGuardFilter(Duration idle, Clock clock) {
    this.idle = idle;
    this.clock = clock;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    Caller caller = (Caller) req.getAttribute(CallerContext.CALLER);
    String sid = req.getHeader(HEADER);
    Instant now = clock.instant();
    if (sid != null) {
      Binding b = sessions.get(sid);
      if (b == null) {
        // Every session is bound when it is created (below). An unbound id was logged off, pruned, deleted or
        // never issued here: refuse it rather than hand it to the SDK, where any identity could use it.
        JsonRpcErrors.write(res, 404, JsonRpcErrors.SERVER_ERROR, loggedOff.containsKey(sid)
            ? "Session ended after inactivity (automatic logoff); initialize a new session."
            : "Session not found; initialize a new session.");
        return;
      }
      if (caller == null || !b.subject.equals(caller.subject()) || !Objects.equals(b.clientId, caller.clientId())) {
        log.warn("session refused: presented by an identity other than the one that created it");
        JsonRpcErrors.write(res, 403, JsonRpcErrors.SERVER_ERROR, "Forbidden: this session belongs to another user or client.");
        return;
      }
      if (Duration.between(b.lastSeen, now).compareTo(idle) > 0) {
        sessions.remove(sid);
        loggedOff.put(sid, now);
        log.info("session logged off after {} minutes idle", idle.toMinutes());
        JsonRpcErrors.write(res, 404, JsonRpcErrors.SERVER_ERROR,
            "Session ended after inactivity (automatic logoff); initialize a new session.");
        return;
      }
      b.lastSeen = now;
    }
    Capturing wrapped = new Capturing(res);
    chain.doFilter(req, wrapped);
    if (sid == null && wrapped.sessionId != null && caller != null) {
      prune(now);
      sessions.put(wrapped.sessionId, new Binding(caller.subject(), caller.clientId(), now));
    }
    if (sid != null && "DELETE".equals(req.getMethod())) {
      sessions.remove(sid);
    }
  }

  /** Drops bindings idle far beyond the limit and old logoff markers, bounding memory. */
  private void prune(Instant now) {
    sessions.entrySet().removeIf(e -> {
      boolean stale = Duration.between(e.getValue().lastSeen, now).compareTo(idle.multipliedBy(2)) > 0;
      if (stale) {
        loggedOff.put(e.getKey(), now); // still an automatic logoff for its owner
      }
      return stale;
    });
    loggedOff.entrySet().removeIf(e -> Duration.between(e.getValue(), now).toHours() > 24);
  }

  /** Sees the session id the SDK assigns on initialize. */
  private static final class Capturing extends HttpServletResponseWrapper {
    String sessionId;

    Capturing(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void setHeader(String name, String value) {
      capture(name, value);
      super.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
      capture(name, value);
      super.addHeader(name, value);
    }

    private void capture(String name, String value) {
      if (HEADER.equalsIgnoreCase(name)) {
        sessionId = value;
      }
    }
  }
}
