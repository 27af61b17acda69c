package io.custos.bench;

import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Patient;

/**
 * The benchmark's users: for each fixture patient, the practitioner who took part in most of that patient's
 * encounters (so Custos's care-relationship check passes, as in real use), signed in as a clinician with MFA and
 * {@code user/*.rs}, with a real RS256 access token from mock-oauth2-server.
 */
final class BenchUsers {
  static final String ISSUER_ID = "custos";
  static final String CLIENT = "custos-bench";
  static final String AUDIENCE = "https://custos.bench/mcp";

  /** A patient and the practitioner caring for them. */
  record Pair(String patientId, String practitionerId) {}

  private BenchUsers() {}

  /** Patient -> carer, patients in id order. */
  static List<Pair> pairs() {
    return pairs(SyntheaFixture.load());
  }

  /** Patient -> carer, from an already loaded copy of the fixture. */
  static List<Pair> pairs(InMemoryRepository repo) {
    List<Pair> out = new ArrayList<>();
    for (Patient p : SyntheaFixture.patients(repo).stream().sorted(Comparator.comparing(Patient::getIdPart)).toList()) {
      String id = p.getIdPart();
      List<String> refs = new ArrayList<>();
      for (IBaseResource r : repo.forPatient("Encounter", id)) {
        for (var part : ((Encounter) r).getParticipant()) {
          String ref = part.getIndividual().getReference();
          if (ref != null && ref.startsWith("Practitioner/")) {
            refs.add(ref.substring("Practitioner/".length()));
          }
        }
      }
      refs.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())).entrySet().stream()
          .max(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey(Comparator.reverseOrder())))
          .ifPresent(e -> out.add(new Pair(id, e.getKey())));
    }
    return out;
  }

  /** A clinician access token (RFC 9068 {@code at+jwt}, 2 hours) for practitioner {@code practitionerId}. */
  static String token(MockOAuth2Server oauth, String practitionerId) {
    Map<String, Object> claims = new HashMap<>();
    claims.put("scope", "openid fhirUser user/*.rs");
    claims.put("roles", List.of("clinician"));
    claims.put("fhirUser", "Practitioner/" + practitionerId);
    claims.put("client_id", CLIENT);
    claims.put("auth_time", Instant.now().getEpochSecond());
    claims.put("amr", List.of("pwd", "mfa"));
    return oauth.issueToken(ISSUER_ID, CLIENT, new DefaultOAuth2TokenCallback(ISSUER_ID, practitionerId, "at+jwt",
        List.of(AUDIENCE), claims, 7200)).serialize();
  }

  /** One token per practitioner (cached), for each pair. */
  static List<String> tokens(MockOAuth2Server oauth, List<Pair> pairs) {
    Map<String, String> byUser = new LinkedHashMap<>();
    List<String> out = new ArrayList<>();
    for (Pair p : pairs) {
      out.add(byUser.computeIfAbsent(p.practitionerId(), u -> token(oauth, u)));
    }
    return out;
  }
}
