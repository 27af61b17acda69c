package io.custos.phi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.BiConsumer;

/** Reads a checked-in JSON data file keyed by category id ({@code {"categories": {"<id>": ...}}}). */
final class CategoryData {
  private CategoryData() {}

  /**
   * Calls {@code each} with every category of the classpath resource {@code file} and its entry.
   *
   * @throws IllegalStateException when the file is missing or names an unknown category
   */
  static void forEach(String file, BiConsumer<SensitiveCategory, JsonNode> each) {
    try (InputStream in = CategoryData.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException("data file missing: " + file);
      }
      new ObjectMapper().readTree(in).get("categories").fields().forEachRemaining(e -> each.accept(
          SensitiveCategory.byId(e.getKey()).orElseThrow(() -> new IllegalStateException(file + ": unknown category " + e.getKey())),
          e.getValue()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
