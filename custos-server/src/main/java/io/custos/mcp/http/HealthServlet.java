package io.custos.mcp.http;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/** {@code /healthz} (process alive) and {@code /readyz} (dependencies ready): tiny JSON, no PHI. */
final class HealthServlet extends HttpServlet {
  private final BooleanSupplier ready;

  /** @param ready readiness check; for liveness pass {@code () -> true} */
  HealthServlet(BooleanSupplier ready) {
    this.ready = ready;
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    boolean ok = ready.getAsBoolean();
    res.setStatus(ok ? 200 : 503);
    res.setContentType("application/json");
    res.getWriter().write(ok ? "{\"status\":\"ok\"}" : "{\"status\":\"unavailable\"}");
  }
}
