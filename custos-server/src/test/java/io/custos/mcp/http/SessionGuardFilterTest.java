package io.custos.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.custos.auth.Caller;
import io.custos.auth.CallerContext;
import io.custos.state.InProcessStateStore;
import io.custos.state.SessionBindings;
import io.custos.state.StateUnavailableException;
import io.custos.testing.ManualClock;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Two session filters over one state store's bindings act as two servers of a fleet: a session created through one is
 * bound, used, logged off and deleted on both; a store that cannot be reached refuses the request with 503.
 */
class SessionGuardFilterTest {
  static final Duration IDLE = Duration.ofMinutes(15);
  final ManualClock clock = new ManualClock(Instant.parse("2026-07-28T10:00:00Z"));
  final SessionBindings shared = InProcessStateStore.builder().clock(clock).build().sessions();
  final SessionGuardFilter serverOne = new SessionGuardFilter(IDLE, shared);
  final SessionGuardFilter serverTwo = new SessionGuardFilter(IDLE, shared);

  /** What the filter answered, and whether it let the request through to the MCP servlet. */
  record Answer(int status, Map<String, String> headers, String body, boolean passed) {}

  static Caller caller(String subject) {
    return new Caller(subject, "agent-app", Optional.empty(), Set.of("clinician"), Set.of("user/*.rs"), Optional.empty(),
        true, "token-digest", Instant.parse("2026-07-28T12:00:00Z"));
  }

  /** One request; {@code assigned} is the session id the MCP servlet assigns when it passes (initialize). */
  static Answer send(SessionGuardFilter filter, Caller caller, String method, String sessionId, String assigned) throws Exception {
    Map<String, String> headers = new HashMap<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    int[] status = {200};
    boolean[] passed = {false};
    HttpServletRequest req = (HttpServletRequest) Proxy.newProxyInstance(SessionGuardFilterTest.class.getClassLoader(),
        new Class<?>[] {HttpServletRequest.class}, (p, m, a) -> switch (m.getName()) {
          case "getAttribute" -> CallerContext.CALLER.equals(a[0]) ? caller : null;
          case "getHeader" -> "Mcp-Session-Id".equalsIgnoreCase((String) a[0]) ? sessionId : null;
          case "getMethod" -> method;
          default -> null;
        });
    ServletOutputStream out = new ServletOutputStream() {
      @Override
      public void write(int b) {
        body.write(b);
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setWriteListener(WriteListener listener) {}
    };
    HttpServletResponse res = (HttpServletResponse) Proxy.newProxyInstance(SessionGuardFilterTest.class.getClassLoader(),
        new Class<?>[] {HttpServletResponse.class}, (p, m, a) -> switch (m.getName()) {
          case "setHeader", "addHeader" -> headers.put((String) a[0], (String) a[1]);
          case "setStatus" -> status[0] = (int) a[0];
          case "getOutputStream" -> out;
          case "isCommitted" -> false;
          default -> null;
        });
    filter.doFilter(req, res, (rq, rs) -> {
      passed[0] = true;
      if (assigned != null) {
        ((HttpServletResponse) rs).setHeader("Mcp-Session-Id", assigned);
      }
    });
    return new Answer(status[0], headers, body.toString(StandardCharsets.UTF_8), passed[0]);
  }

  @Test
  void aSessionCreatedOnOneServerIsBoundOnTheOtherAndDeletedForBoth() throws Exception {
    assertThat(send(serverOne, caller("alice"), "POST", null, "session-1").passed()).isTrue();

    assertThat(send(serverTwo, caller("alice"), "POST", "session-1", null).passed()).isTrue();
    Answer intruder = send(serverTwo, caller("mallory"), "POST", "session-1", null);
    assertThat(intruder.passed()).isFalse();
    assertThat(intruder.status()).isEqualTo(403);
    assertThat(send(serverOne, caller("alice"), "DELETE", "session-1", null).passed()).isTrue();
    Answer deleted = send(serverTwo, caller("alice"), "POST", "session-1", null);
    assertThat(deleted.status()).isEqualTo(404);
    assertThat(deleted.body()).contains("Session not found");
  }

  /**
   * The client's next request (its initialized notification, its GET stream) can reach a server while the initialize
   * response is still leaving the first: the session is bound before its id is written, not after the servlet returns.
   */
  @Test
  void aSessionIsBoundBeforeItsIdReachesTheClient() throws Exception {
    Map<String, Answer> meanwhile = new HashMap<>();
    Map<String, String> headers = new HashMap<>();
    HttpServletRequest req = (HttpServletRequest) Proxy.newProxyInstance(SessionGuardFilterTest.class.getClassLoader(),
        new Class<?>[] {HttpServletRequest.class}, (p, m, a) -> switch (m.getName()) {
          case "getAttribute" -> CallerContext.CALLER.equals(a[0]) ? caller("alice") : null;
          case "getMethod" -> "POST";
          default -> null;
        });
    HttpServletResponse res = (HttpServletResponse) Proxy.newProxyInstance(SessionGuardFilterTest.class.getClassLoader(),
        new Class<?>[] {HttpServletResponse.class}, (p, m, a) -> {
          if (m.getName().equals("setHeader")) {
            headers.put((String) a[0], (String) a[1]);
            // The header is on its way to the client: its next request goes to the other server now.
            meanwhile.put("next", send(serverTwo, caller("alice"), "POST", (String) a[1], null));
          }
          return null;
        });
    serverOne.doFilter(req, res, (rq, rs) -> ((HttpServletResponse) rs).setHeader("Mcp-Session-Id", "session-1"));

    assertThat(headers).containsEntry("Mcp-Session-Id", "session-1");
    assertThat(meanwhile.get("next").passed()).as("the next request, sent as the id arrives").isTrue();
  }

  @Test
  void aSessionIdleOnOneServerIsLoggedOffOnTheOther() throws Exception {
    send(serverOne, caller("alice"), "POST", null, "session-1");
    clock.advance(Duration.ofMinutes(10));
    assertThat(send(serverTwo, caller("alice"), "POST", "session-1", null).passed()).isTrue();

    clock.advance(IDLE.plusSeconds(1));
    Answer idle = send(serverOne, caller("alice"), "POST", "session-1", null);

    assertThat(idle.passed()).isFalse();
    assertThat(idle.status()).isEqualTo(404);
    assertThat(idle.body()).contains("automatic logoff");
    assertThat(send(serverTwo, caller("alice"), "POST", "session-1", null).body()).contains("automatic logoff");
  }

  @Test
  void anUnreachableStoreRefusesTheRequestWith503AndRetryAfter() throws Exception {
    SessionBindings down = new SessionBindings() {
      @Override
      public void bind(String sessionId, Owner owner, Duration idle) {
        throw unavailable();
      }

      @Override
      public Verdict present(String sessionId, Owner presenter) {
        throw unavailable();
      }

      @Override
      public void end(String sessionId) {
        throw unavailable();
      }

      private StateUnavailableException unavailable() {
        return new StateUnavailableException("session bindings", new java.sql.SQLTransientConnectionException("refused", "08001"));
      }
    };

    Answer refused = send(new SessionGuardFilter(IDLE, down), caller("alice"), "POST", "session-1", null);

    assertThat(refused.passed()).isFalse();
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.headers()).containsEntry("Retry-After", "1");
    assertThat(refused.body()).contains("temporarily unavailable").doesNotContain("session-1");
  }
}
