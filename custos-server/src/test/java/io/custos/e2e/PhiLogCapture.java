package io.custos.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.ContactPoint;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.slf4j.LoggerFactory;

/**
 * Captures all log output of this JVM while open: every Logback event, both as the configured masking encoder
 * ({@code STDERR} appender of {@code logback-test.xml}) prints it and as raw text (formatted message and stack
 * trace), plus everything written to {@code System.out} and {@code System.err}. Then searches captured text for the
 * identifiers of fixture patients (HIPAA Safe Harbor kinds present in Synthea data, 45 CFR 164.514(b)(2)), as whole
 * words, case-insensitive.
 */
final class PhiLogCapture implements AutoCloseable {
  private final List<String> logs = Collections.synchronizedList(new ArrayList<>());
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();
  private final Logger root;
  private final CapturingAppender appender;
  private final PrintStream savedOut;
  private final PrintStream savedErr;
  private boolean open = true;

  /** Records each event both as the masking encoder prints it and as raw text (message + stack trace). */
  private final class CapturingAppender extends AppenderBase<ILoggingEvent> {
    private final ch.qos.logback.core.encoder.Encoder<ILoggingEvent> encoder;

    CapturingAppender(ch.qos.logback.core.encoder.Encoder<ILoggingEvent> encoder) {
      this.encoder = encoder;
    }

    @Override
    protected void append(ILoggingEvent e) {
      logs.add("encoded: " + new String(encoder.encode(e), StandardCharsets.UTF_8));
      String raw = e.getLoggerName() + " " + e.getFormattedMessage();
      if (e.getThrowableProxy() != null) {
        raw += "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
      }
      logs.add("raw: " + raw);
    }
  }

  @SuppressWarnings("unchecked")
  private PhiLogCapture() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    var configured = (OutputStreamAppender<ILoggingEvent>) root.getAppender("STDERR");
    appender = new CapturingAppender(configured.getEncoder());
    appender.setContext(ctx);
    appender.start();
    root.addAppender(appender);
    savedOut = System.out;
    savedErr = System.err;
    System.setOut(tee(savedOut));
    System.setErr(tee(savedErr));
  }

  /** Starts capturing; {@link #close()} restores {@code System.out}, {@code System.err} and the appenders. */
  static PhiLogCapture start() {
    return new PhiLogCapture();
  }

  /** Tees a stream into {@link #console}. */
  private PrintStream tee(PrintStream original) {
    return new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        synchronized (console) {
          console.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        synchronized (console) {
          console.write(b, off, len);
        }
      }
    }, true, StandardCharsets.UTF_8);
  }

  /** Logback events so far (each event counted once). */
  int logRecords() {
    return logs.size() / 2;
  }

  /** Everything captured so far: each event (encoded and raw), then the console text; non-empty once anything logged. */
  List<String> haystacks() {
    List<String> out;
    synchronized (logs) {
      out = new ArrayList<>(logs);
    }
    synchronized (console) {
      out.add("console: " + console.toString(StandardCharsets.UTF_8));
    }
    return out;
  }

  /** The console's length in characters so far. */
  int consoleChars() {
    synchronized (console) {
      return console.toString(StandardCharsets.UTF_8).length();
    }
  }

  @Override
  public synchronized void close() {
    if (open) {
      open = false;
      System.setOut(savedOut);
      System.setErr(savedErr);
      root.detachAppender(appender);
    }
  }

  /** Every regular file under {@code dir}, every byte read as Latin-1 (so any plaintext identifier would show). */
  static List<String> dataFiles(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        out.add("data file " + f.getFileName() + ": " + new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    return out;
  }

  /**
   * Every identifier of every patient: names (given, family, maiden), Patient.identifier values, the logical id,
   * birth date, address lines, postal code and city with postal code, telecom values.
   *
   * @return patient id to its identifiers, in the patients' order
   */
  static Map<String, Set<String>> identifiers(List<Patient> patients) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (Patient p : patients) {
      Set<String> ids = new LinkedHashSet<>();
      for (HumanName n : p.getName()) {
        n.getGiven().forEach(g -> ids.add(g.getValue()));
        if (n.hasFamily()) {
          ids.add(n.getFamily());
        }
      }
      for (Identifier i : p.getIdentifier()) {
        ids.add(i.getValue());
      }
      ids.add(p.getIdPart());
      if (p.hasBirthDate()) {
        ids.add(p.getBirthDateElement().getValueAsString());
      }
      for (Address a : p.getAddress()) {
        a.getLine().forEach(l -> ids.add(l.getValue()));
        if (a.hasPostalCode()) {
          ids.add(a.getPostalCode());
          ids.add(a.getCity() + " " + a.getPostalCode());
        }
      }
      for (ContactPoint cp : p.getTelecom()) {
        ids.add(cp.getValue());
      }
      for (Extension e : p.getExtension()) {
        if (e.getUrl().endsWith("patient-mothersMaidenName") && e.getValue() instanceof StringType s) {
          ids.add(s.getValue());
        }
      }
      ids.removeIf(s -> s == null || s.isBlank());
      out.put(p.getIdPart(), ids);
    }
    return out;
  }

  /**
   * Searches every haystack for every identifier as a whole word. A hit names the patient by position and the
   * identifier by length only, and shows its context with the identifier replaced by {@code <HIT>}.
   *
   * @param identifiers from {@link #identifiers(List)}
   * @return one line per hit; empty when no identifier occurs
   */
  static List<String> hits(Map<String, Set<String>> identifiers, List<String> haystacks) {
    List<String> patients = new ArrayList<>(identifiers.keySet());
    List<String> hits = new ArrayList<>();
    for (var entry : identifiers.entrySet()) {
      for (String id : entry.getValue()) {
        Pattern word = Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(id) + "(?![\\p{L}\\p{N}])", Pattern.CASE_INSENSITIVE);
        for (String h : haystacks) {
          var m = word.matcher(h);
          if (m.find()) {
            int from = Math.max(0, m.start() - 120);
            hits.add("identifier of patient #" + patients.indexOf(entry.getKey()) + " (" + id.length() + " chars) in: ..."
                + h.substring(from, Math.min(h.length(), m.end() + 120)).replace(id, "<HIT>") + "...");
          }
        }
      }
    }
    return hits;
  }

  /** How many identifiers {@link #hits} searches for. */
  static int count(Map<String, Set<String>> identifiers) {
    return identifiers.values().stream().mapToInt(Set::size).sum();
  }
}
