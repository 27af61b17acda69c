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

  /** @param readiness the checks; {@link Readiness#none()} for liveness */
  HealthServlet(Readiness readiness) {
    this.readiness = readiness;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Map<String, Boolean> checks = readiness.status();
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
