package io.custos.detect;

import io.custos.fhir.FhirUpstream;
import io.custos.fhir.SearchPage;
import io.custos.fhir.UpstreamRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Resource;

/**
 * The workforce as the family, neighbour, own-record, co-worker and department rules see it: each member's
 * normalised name, birth date, address key and department (an Organization id). Looked up by token {@code sub} or by
 * {@code fhirUser} reference.
 */
public final class StaffDirectory {
  /** Largest number of directory resources read from FHIR (pages of 100). */
  static final int MAX_FHIR = 100_000;

  /**
   * One member of staff.
   *
   * @param subject     token {@code sub}, or empty (FHIR directory)
   * @param practitioner {@code Practitioner/<id>}, or empty
   * @param family      normalised family name
   * @param given       normalised first given name
   * @param birthDate   birth date, if known
   * @param address     normalised address key ({@link PatientFacts#addressKey}), or empty
   * @param department  Organization id, or empty
   */
  public record Member(String subject, String practitioner, String family, String given, Optional<LocalDate> birthDate,
      String address, String department) {
    /** Whether the patient is this person: same family and given name and the same known birth date. */
    boolean isPerson(PatientFacts p) {
      return !family.isEmpty() && family.equals(p.family()) && given.equals(p.given()) && birthDate.isPresent()
          && birthDate.equals(p.birthDate());
    }
  }

  private final Map<String, Member> bySubject = new HashMap<>();
  private final Map<String, Member> byPractitioner = new HashMap<>();
  private final Map<String, List<Member>> byFamily = new HashMap<>();

  /** A directory of these members. */
  public StaffDirectory(List<Member> members) {
    for (Member m : members) {
      if (!m.subject().isEmpty()) {
        bySubject.put(m.subject(), m);
      }
      if (!m.practitioner().isEmpty()) {
        byPractitioner.put(m.practitioner(), m);
      }
      byFamily.computeIfAbsent(m.family(), k -> new ArrayList<>()).add(m);
    }
  }

  /** The empty directory. */
  public static StaffDirectory empty() {
    return new StaffDirectory(List.of());
  }

  /** The user by {@code sub}, else by the {@code fhirUser} reference (its {@code Practitioner/<id>} tail). */
  public Optional<Member> user(String subject, String fhirUser) {
    Member m = bySubject.get(subject);
    if (m == null && fhirUser != null) {
      int i = fhirUser.lastIndexOf("Practitioner/");
      m = i < 0 ? null : byPractitioner.get(fhirUser.substring(i));
    }
    return Optional.ofNullable(m);
  }

  /** A member of staff other than {@code user} who is this patient. */
  Optional<Member> colleague(PatientFacts p, Member user) {
    return byFamily.getOrDefault(p.family(), List.of()).stream().filter(m -> m != user && m.isPerson(p)).findFirst();
  }

  public int size() {
    return bySubject.size() + (int) byPractitioner.values().stream().filter(m -> m.subject().isEmpty()).count();
  }

  /**
   * Reads the CSV directory: header {@code subject,practitioner,family,given,birth_date,address,postal_code,department}.
   *
   * @throws IOException if unreadable, or a row has the wrong number of fields (the message names the line number only)
   */
  public static StaffDirectory csv(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Member> members = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != 8) {
        throw new IOException("staff directory line " + (i + 1) + ": expected 8 fields");
      }
      members.add(new Member(f[0].trim(), f[1].trim(), PatientFacts.norm(f[2]), PatientFacts.norm(f[3]),
          PatientFacts.date(f[4]), PatientFacts.addressKey(f[5], f[6]), f[7].trim()));
    }
    return new StaffDirectory(members);
  }

  /** Reads Practitioner (name, birth date, address) and PractitionerRole (organization = department) from the upstream. */
  public static StaffDirectory fhir(FhirUpstream upstream) {
    Map<String, String> department = new HashMap<>();
    for (Resource r : all(upstream, "PractitionerRole")) {
      if (r instanceof PractitionerRole pr && pr.hasPractitioner() && pr.hasOrganization()) {
        department.putIfAbsent("Practitioner/" + pr.getPractitioner().getReferenceElement().getIdPart(),
            pr.getOrganization().getReferenceElement().getIdPart());
      }
    }
    List<Member> members = new ArrayList<>();
    for (Resource r : all(upstream, "Practitioner")) {
      if (r instanceof Practitioner p) {
        String ref = "Practitioner/" + p.getIdElement().getIdPart();
        members.add(new Member("", ref, PatientFacts.norm(p.getNameFirstRep().getFamily()),
            PatientFacts.given(p.getNameFirstRep()),
            PatientFacts.date(p.getBirthDateElement().getValueAsString()),
            PatientFacts.addressKey(p.getAddressFirstRep()), department.getOrDefault(ref, "")));
      }
    }
    return new StaffDirectory(members);
  }

  private static List<Resource> all(FhirUpstream upstream, String type) {
    List<Resource> out = new ArrayList<>();
    SearchPage page = upstream.execute(new UpstreamRequest.Search(type, Map.of(), 100));
    out.addAll(page.resources());
    while (page.nextLink().isPresent() && out.size() < MAX_FHIR) {
      page = upstream.nextPage(page.nextLink().get());
      out.addAll(page.resources());
    }
    return out;
  }
}
