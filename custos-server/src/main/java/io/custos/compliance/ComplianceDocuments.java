package io.custos.compliance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.openhtmltopdf.pdfboxout.PdfRendererBuilder;
import io.custos.console.Templates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** The compliance report as JSON, HTML (self-contained) and PDF (the HTML laid out by openhtmltopdf, PDFBox). */
public final class ComplianceDocuments {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ComplianceDocuments() {}

  /** A report format, with its media type and file extension. */
  public enum Format {
    JSON("application/json", "json"), HTML("text/html; charset=utf-8", "html"), PDF("application/pdf", "pdf");

    private final String mediaType;
    private final String extension;

    Format(String mediaType, String extension) {
      this.mediaType = mediaType;
      this.extension = extension;
    }

    public String mediaType() {
      return mediaType;
    }

    public String extension() {
      return extension;
    }
  }

  /** The report in {@code format}. */
  public static byte[] render(ComplianceReport report, Format format) throws IOException {
    return switch (format) {
      case JSON -> JSON.writeValueAsBytes(report.document());
      case HTML -> html(report).getBytes(StandardCharsets.UTF_8);
      case PDF -> pdf(report);
    };
  }

  /** Self-contained XHTML (well-formed, so the PDF renderer reads it too). */
  public static String html(ComplianceReport report) {
    return Templates.render("compliance-report", Map.of("report", report));
  }

  private static byte[] pdf(ComplianceReport report) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PdfRendererBuilder b = new PdfRendererBuilder();
    b.useFastMode();
    b.withHtmlContent(html(report), null);
    b.toStream(out);
    b.run();
    return out.toByteArray();
  }
}
