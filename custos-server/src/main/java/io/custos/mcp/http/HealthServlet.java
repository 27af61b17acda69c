package io.custos.mcp.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * {@code /healthz} (liveness: the process answers) and {@code /readyz} (readiness: every dependency check of a
 * {@link Readiness} passes). Tiny JSON, no PHI: {@code {"status":"ok"}} or, with checks,
 * {@code {"status":"ok"|"unavailable","checks":{"<name>":"ok"|"failing",...}}}; 200 when ready, 503 when any
 * check fails. Check names only: no URL, host or secret.
 */
final class HealthServlet extends HttpServlet {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Readiness readiness;
  private final java.util.function.BooleanSupplier accepting;

  /** Liveness: {@code readiness} is {@link Readiness#none()}. */
  HealthServlet(Readiness readiness) {
    this(readiness, () -> true);
  }

  /**
   * @param readiness the dependency checks
   * @param accepting false once the server drains for shutdown: reported as the check {@code accepting}, never cached
   */
  HealthServlet(Readiness readiness, java.util.function.BooleanSupplier accepting) {
    this.readiness = readiness;
    this.accepting = accepting;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Map<String, Boolean> checks = new java.util.LinkedHashMap<>(readiness.status());
    if (!accepting.getAsBoolean()) {
      checks.put("accepting", false);
    }
    boolean ok = !checks.containsValue(false);
    ObjectNode body = JSON.createObjectNode().put("status", ok ? "ok" : "unavailable");
    if (!checks.isEmpty()) {
      ObjectNode each = body.putObject("checks");
      checks.forEach((name, passed) -> each.put(name, passed ? "ok" : "failing"));
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    res.setStatus(ok ? 200 : 503);
    res.setContentType("application/json");
    res.setContentLength(bytes.length);
    res.getOutputStream().write(bytes);
  }
}
