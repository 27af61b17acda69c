package io.custos.phi;

import static io.custos.phi.SensitiveCategory.HIV;
import static io.custos.phi.SensitiveCategory.MENTAL_HEALTH;
import static io.custos.phi.SensitiveCategory.REPRODUCTIVE_HEALTH;
import static io.custos.phi.SensitiveCategory.SUBSTANCE_USE;
import static io.custos.phi.SensitiveCategory.VIOLENCE;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.FhirTerser;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DocumentReference;
import org.hl7.fhir.r4.model.Resource;

/**
 * The sensitive-category value-set table and classifier. A resource is in a category when any
 * {@link Coding} anywhere in it (code, category, reasonCode, value, {@code meta.security},
 * {@code securityLabel}...) matches the table, or (clinical notes) when its text mentions a category term.
 *
 * <p>The table is deliberately data: one {@link Rule} per code system and category, exact codes or code
 * prefixes (ICD-10 chapters/blocks). It is a starting set, reviewed by the privacy officer, not a complete
 * terminology binding: SNOMED CT has no prefix structure, so its codes are listed individually (including
 * every sensitive code in the Synthea fixture). Classification errs towards withholding.
 */
public final class SensitiveCategories {
  static final String SNOMED = "http://snomed.info/sct";
  static final String LOINC = "http://loinc.org";
  static final String ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm";
  static final String ICD10 = "http://hl7.org/fhir/sid/icd-10";
  static final String CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

  /**
   * One row of the table.
   *
   * @param category the category
   * @param system   code system URI
   * @param prefix   whether {@code codes} are prefixes (ICD-10 blocks) rather than exact codes
   * @param codes    codes or prefixes
   */
  public record Rule(SensitiveCategory category, String system, boolean prefix, List<String> codes) {
    boolean matches(String sys, String code) {
      if (!system.equals(sys) || code == null) {
        return false;
      }
      String c = code.toUpperCase(Locale.ROOT);
      return prefix ? codes.stream().anyMatch(c::startsWith) : codes.contains(c);
    }
  }

  /** The value-set table. */
  public static final List<Rule> RULES = List.of(
      // 42 CFR Part 2: substance use disorders (nicotine F17 excluded: not a Part 2 program diagnosis).
      new Rule(SUBSTANCE_USE, SNOMED, false, List.of("361055000", "10939881000119105", "7200002", "5602001", "6525002",
          "15167005", "26416006", "55680006", "66214007", "191816009", "191802004", "95630006")),
      new Rule(SUBSTANCE_USE, ICD10CM, true, List.of("F10", "F11", "F12", "F13", "F14", "F15", "F16", "F18", "F19", "T40")),
      new Rule(SUBSTANCE_USE, ICD10, true, List.of("F10", "F11", "F12", "F13", "F14", "F15", "F16", "F18", "F19", "T40")),
      new Rule(SUBSTANCE_USE, LOINC, false, List.of("75626-2", "72109-2", "82667-7", "72110-0", "68517-2")),
      // Mental health.
      new Rule(MENTAL_HEALTH, SNOMED, false, List.of("35489007", "370143000", "36923009", "197480006", "21897009", "47505003",
          "58214004", "13746004", "69322001", "74732009", "6471006", "287182007", "192080009", "371631005", "191736004")),
      new Rule(MENTAL_HEALTH, ICD10CM, true, List.of("F2", "F3", "F4", "F5", "F6", "F9", "R45.851", "T14.91")),
      new Rule(MENTAL_HEALTH, ICD10, true, List.of("F2", "F3", "F4", "F5", "F6", "F9")),
      new Rule(MENTAL_HEALTH, LOINC, false, List.of("55758-7", "44261-6", "89204-2", "70274-6", "69737-5", "89206-7")),
      // HIV.
      new Rule(HIV, SNOMED, false, List.of("86406008", "62479008", "165816005", "91947003", "52079000")),
      new Rule(HIV, ICD10CM, true, List.of("B20", "B97.35", "Z21", "R75", "O98.7", "Z11.4")),
      new Rule(HIV, ICD10, true, List.of("B20", "B21", "B22", "B23", "B24", "Z21", "R75")),
      new Rule(HIV, LOINC, false, List.of("55277-8", "75622-1", "7917-8", "5221-7", "25836-8", "56888-1", "68961-2")),
      // Reproductive and sexual health.
      new Rule(REPRODUCTIVE_HEALTH, SNOMED, false, List.of("72892002", "77386006", "79586000", "19169002", "161744009",
          "267020005", "714812005", "47200007", "237240001", "398254007", "156073000", "169826009", "386639001", "16356006")),
      new Rule(REPRODUCTIVE_HEALTH, ICD10CM, true, List.of("O", "Z30", "Z31", "Z32", "Z33", "Z34", "Z3A", "Z37", "Z39", "N96",
          "A5", "A60", "A63", "A64")),
      new Rule(REPRODUCTIVE_HEALTH, ICD10, true, List.of("O", "Z30", "Z31", "Z32", "Z33", "Z34", "Z37", "Z39", "N96", "A5", "A60")),
      new Rule(REPRODUCTIVE_HEALTH, LOINC, false, List.of("76690-7", "2106-3", "2118-8", "19080-1")),
      // Sexual assault, abuse, domestic violence.
      new Rule(VIOLENCE, SNOMED, false, List.of("706893006", "95930005", "248110008", "242034008")),
      new Rule(VIOLENCE, ICD10CM, true, List.of("T74", "T76", "Y07", "Z04.4", "Z69", "Z91.41")),
      new Rule(VIOLENCE, ICD10, true, List.of("T74", "T76", "Y07", "Z04.4")),
      new Rule(VIOLENCE, LOINC, false, List.of("76504-0", "28245-9")));

  /**
   * Terms that put a clinical note's free text into a category. Notes are withheld on a mention: a note
   * is not coded, and a narrative that names a Part 2 diagnosis is a Part 2 record.
   */
  private static final List<TextRule> TEXT_RULES = List.of(
      new TextRule(SUBSTANCE_USE, Pattern.compile("(?i)misuses drugs|drug (?:abuse|dependence|misuse)|substance (?:use|abuse)|"
          + "alcohol(?:ism| abuse| dependence| drinking behavio)|opioid (?:abuse|use disorder|dependence)|overdose")),
      new TextRule(MENTAL_HEALTH, Pattern.compile("(?i)depressi(?:on|ve disorder)|anxiety disorder|schizophren|bipolar|suicid|"
          + "post-?traumatic stress|\\bPTSD\\b|psychos[ie]s|psychiatric")),
      new TextRule(HIV, Pattern.compile("\\bHIV\\b|\\bAIDS\\b|human immunodeficiency virus")),
      new TextRule(REPRODUCTIVE_HEALTH, Pattern.compile("(?i)pregnan|miscarriage|abortion|termination of pregnancy|contracept|"
          + "tubal ligation|sexually transmitted")),
      new TextRule(VIOLENCE, Pattern.compile("(?i)intimate partner (?:abuse|violence)|domestic (?:abuse|violence)|sexual assault|rape\\b")));

  private record TextRule(SensitiveCategory category, Pattern pattern) {}

  private final FhirTerser terser;

  public SensitiveCategories(FhirContext fhir) {
    this.terser = fhir.newTerser();
  }

  /** The categories of {@code r}; empty when it is not sensitive. */
  public Set<SensitiveCategory> classify(Resource r) {
    Set<SensitiveCategory> found = EnumSet.noneOf(SensitiveCategory.class);
    for (Coding c : terser.getAllPopulatedChildElementsOfType(r, Coding.class)) {
      classify(c, found);
    }
    if (r instanceof DocumentReference d) {
      for (var content : d.getContent()) {
        if (content.getAttachment().hasData()) {
          found.addAll(classifyText(new String(content.getAttachment().getData(), StandardCharsets.UTF_8)));
        }
      }
    }
    return found;
  }

  /** Categories mentioned in free text. */
  public static Set<SensitiveCategory> classifyText(String text) {
    Set<SensitiveCategory> found = EnumSet.noneOf(SensitiveCategory.class);
    for (TextRule t : TEXT_RULES) {
      if (t.pattern().matcher(text).find()) {
        found.add(t.category());
      }
    }
    return found;
  }

  private static void classify(Coding c, Set<SensitiveCategory> found) {
    String system = c.getSystem();
    String code = c.getCode();
    if (SensitiveCategory.ACT_CODE.equals(system) && code != null) {
      for (SensitiveCategory cat : SensitiveCategory.values()) {
        if (cat.securityLabel().equals(code)) {
          found.add(cat);
        }
      }
      switch (code) {
        case "MH" -> found.add(MENTAL_HEALTH);
        case "STD" -> found.add(REPRODUCTIVE_HEALTH);
        case "SUD", "ETHUD", "OPIOIDUD", "ALC", "DRGIS" -> found.add(SUBSTANCE_USE);
        default -> { }
      }
      return;
    }
    for (Rule rule : RULES) {
      if (rule.matches(system, code)) {
        found.add(rule.category());
      }
    }
  }
}
