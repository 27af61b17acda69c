package io.custos.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Keyed patient pseudonyms: stable per key, different across keys, the same from every thread. */
class PatientPseudonymsTest {
  private static byte[] key(int fill) {
    byte[] k = new byte[32];
    java.util.Arrays.fill(k, (byte) fill);
    return k;
  }

  @Test
  void stableForOneKeyAndUnrelatedAcrossKeys() {
    PatientPseudonyms a = new PatientPseudonyms(key(1));
    String p = a.tokenize("123");
    assertThat(p).matches("pt_[0-9a-f]{32}").doesNotContain("123");
    assertThat(a.tokenize("123")).isEqualTo(p);
    assertThat(a.tokenize("124")).isNotEqualTo(p);
    assertThat(new PatientPseudonyms(key(2)).tokenize("123")).isNotEqualTo(p);
  }

  @Test
  void everyThreadComputesTheSamePseudonyms() {
    PatientPseudonyms shared = new PatientPseudonyms(key(3));
    PatientPseudonyms reference = new PatientPseudonyms(key(3));
    List<String> ids = IntStream.range(0, 200).mapToObj(i -> "patient-" + i).toList();
    Map<String, String> expected = new ConcurrentHashMap<>();
    ids.forEach(id -> expected.put(id, reference.tokenize(id)));
    Map<String, String> seen = new ConcurrentHashMap<>();
    IntStream.range(0, 20_000).parallel().forEach(i -> {
      String id = ids.get(i % ids.size());
      String got = shared.tokenize(id);
      String before = seen.putIfAbsent(id, got);
      assertThat(before == null || before.equals(got)).isTrue();
    });
    assertThat(seen).isEqualTo(expected);
  }

  @Test
  void aShortKeyIsRefused() {
    assertThatThrownBy(() -> new PatientPseudonyms(new byte[16])).isInstanceOf(IllegalArgumentException.class);
  }
}
