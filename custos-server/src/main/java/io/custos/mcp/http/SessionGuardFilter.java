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
import io.custos.state.SessionBindings;
import io.custos.state.StateUnavailableException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds each MCP session to the user ({@code sub}) and client that created it, and ends sessions idle
 * longer than the limit (HIPAA 164.312(a)(2)(iii) automatic logoff). Closes an SDK 2.1.0 gap: the SDK
 * lets any valid token use any session id. A request with another identity's session id gets 403; a
 * request on a logged-off session gets 404 (the client must initialize a new session). The bindings live in the
 * server's state store, so with a shared store they hold on every server of a fleet; when that store cannot be
 * reached the request is refused with 503 and {@code Retry-After} (fail closed).
 */
final class SessionGuardFilter extends HttpFilter {
  private static final Logger log = LoggerFactory.getLogger(SessionGuardFilter.class);
  private static final String HEADER = "Mcp-Session-Id";

  private final Duration idle;
  private final SessionBindings sessions;

  /**
   * @param idle     inactivity after which a session is logged off
   * @param sessions where bindings are kept (the server's state store)
   */
  SessionGuardFilter(Duration idle, SessionBindings sessions) {
    this.idle = idle;
    this.sessions = sessions;
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    Caller caller = (Caller) req.getAttribute(CallerContext.CALLER);
    String sid = req.getHeader(HEADER);
    try {
      if (sid != null && !admitted(sid, caller, res)) {
        return;
      }
      // Every session is bound when it is created. An unbound id was logged off, forgotten, deleted or never issued
      // here: it is refused rather than handed to the SDK, where any identity could use it. The binding is made as the
      // SDK sets the header, before the response can reach the client: the client's next request (its initialized
      // notification, its GET stream) may arrive before this filter's chain returns.
      chain.doFilter(req, sid == null && caller != null
          ? new Binding(res, id -> sessions.bind(id, owner(caller), idle)) : res);
      if (sid != null && "DELETE".equals(req.getMethod())) {
        sessions.end(sid);
      }
    } catch (StateUnavailableException e) {
      log.warn("session check refused: {}", e.getMessage());
      if (!res.isCommitted()) {
        res.setHeader("Retry-After", "1");
        JsonRpcErrors.write(res, 503, JsonRpcErrors.SERVER_ERROR, "Session state is temporarily unavailable; try again shortly.");
      }
    }
  }

  /** Judges a presented session id; answers the refusal itself and returns false when the request may not pass. */
  private boolean admitted(String sid, Caller caller, HttpServletResponse res) throws IOException {
    SessionBindings.Verdict verdict = caller == null ? SessionBindings.Verdict.FOREIGN
        : sessions.present(sid, owner(caller));
    switch (verdict) {
      case ACTIVE -> {
        return true;
      }
      case FOREIGN -> {
        log.warn("session refused: presented by an identity other than the one that created it");
        JsonRpcErrors.write(res, 403, JsonRpcErrors.SERVER_ERROR, "Forbidden: this session belongs to another user or client.");
      }
      case LOGGED_OFF -> {
        log.info("session refused: logged off after {} minutes idle", idle.toMinutes());
        JsonRpcErrors.write(res, 404, JsonRpcErrors.SERVER_ERROR,
            "Session ended after inactivity (automatic logoff); initialize a new session.");
      }
      case UNKNOWN -> JsonRpcErrors.write(res, 404, JsonRpcErrors.SERVER_ERROR, "Session not found; initialize a new session.");
    }
    return false;
  }

  private static SessionBindings.Owner owner(Caller caller) {
    return new SessionBindings.Owner(caller.subject(), Optional.ofNullable(caller.clientId()));
  }

  /** Binds the session id the SDK assigns on initialize before the header is written. */
  private static final class Binding extends HttpServletResponseWrapper {
    private final java.util.function.Consumer<String> bind;
    private boolean bound;

    Binding(HttpServletResponse response, java.util.function.Consumer<String> bind) {
      super(response);
      this.bind = bind;
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
      if (HEADER.equalsIgnoreCase(name) && !bound) {
        bind.accept(value);
        bound = true;
      }
    }
  }
}
