package io.custos.console;

import java.util.Locale;
import java.util.Map;
import org.thymeleaf.TemplateEngine;
import org.thymeleaf.context.Context;
import org.thymeleaf.templatemode.TemplateMode;
import org.thymeleaf.templateresolver.ClassLoaderTemplateResolver;

/**
 * The console's Thymeleaf templates ({@code io/custos/console/templates/*.html} on the class path), in HTML mode:
 * every {@code th:text} value is HTML-escaped, so text written by users or agents (a clinical note, a break-the-glass
 * reason, an alert field) renders as inert text. No template uses unescaped output.
 */
public final class Templates {
  private static final TemplateEngine ENGINE = engine();

  private Templates() {}

  /** Renders template {@code name} with {@code model}. */
  public static String render(String name, Map<String, Object> model) {
    return ENGINE.process(name, new Context(Locale.ENGLISH, model));
  }

  private static TemplateEngine engine() {
    ClassLoaderTemplateResolver r = new ClassLoaderTemplateResolver(Templates.class.getClassLoader());
    r.setPrefix("io/custos/console/templates/");
    r.setSuffix(".html");
    r.setTemplateMode(TemplateMode.HTML);
    r.setCharacterEncoding("UTF-8");
    r.setCacheable(true);
    TemplateEngine e = new TemplateEngine();
    e.setTemplateResolver(r);
    return e;
  }
}
