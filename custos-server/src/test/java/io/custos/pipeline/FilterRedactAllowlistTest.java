package io.custos.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.util.IModelVisitor2;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.custos.fhir.store.InMemoryRepository;
import io.custos.phi.SyntheaFixture;
import io.custos.state.InProcessStateStore;
import io.custos.tools.ToolCatalog;
import io.custos.tools.ToolSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Minimum necessary (45 CFR 164.514(d)), checked independently of the allowlist's own traversal: for
 * every tool and every fixture patient, each resource handed to the tool's projection is walked with
 * HAPI's terser, and every populated element path must be one of the tool's allowedElements or below one
 * (with no extension, modifierExtension or element id below an allowed element unless declared).
 */
class FilterRedactAllowlistTest {
  private static final FhirContext FHIR = FhirContext.forR4Cached();
  private static InMemoryRepository repo;

  @BeforeAll
  static void load() {
    repo = SyntheaFixture.load();
  }

  static ToolSpec recording(ToolSpec s, List<Resource> seen) {
    return s.toBuilder().projection(r -> {
      seen.add(r);
      return s.projection().apply(r);
    }).build();
  }

  /** Every populated element path of {@code r}, e.g. {@code Patient.address.city}. */
  static Set<String> populatedPaths(IBaseResource r) {
    String type = FHIR.getResourceType(r);
    Set<String> paths = new TreeSet<>();
    FHIR.newTerser().visit(r, new IModelVisitor2() {
      @Override
      public boolean acceptElement(IBase element, List<IBase> containing, List<BaseRuntimeChildDefinition> childPath,
          List<BaseRuntimeElementDefinition<?>> elementPath) {
        if (!childPath.isEmpty() && !element.isEmpty()) {
          paths.add(type + "." + childPath.stream().map(BaseRuntimeChildDefinition::getElementName).collect(Collectors.joining(".")));
        }
        return true;
      }
    });
    return paths;
  }

  static boolean allowed(String path, List<String> allowedElements) {
    for (String declared : allowedElements) {
      String a = declared.replace("[x]", ""); // HAPI names choice elements without [x]
      if (path.equals(a) || a.startsWith(path + ".")) { // the element itself, or an ancestor of an allowed one
        return true;
      }
      if (path.startsWith(a + ".")) {
        String rest = path.substring(a.length() + 1);
        boolean hidden = List.of(rest.split("\\.")).stream().anyMatch(s -> s.equals("extension") || s.equals("modifierExtension") || s.equals("id"));
        if (!hidden) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void everyToolProjectsOnlyAllowedElements() {
    FilterRedact stage = new FilterRedact(FHIR,
        new PageCursors(InProcessStateStore.create().cursors(), Clock.systemUTC(), Duration.ofMinutes(1)));
    List<Patient> patients = SyntheaFixture.patients(repo);
    assertThat(patients).hasSize(5);
    int checked = 0;
    Set<String> toolsWithData = new TreeSet<>();
    for (ToolSpec spec : ToolCatalog.readTools().tools()) {
      for (Patient p : patients) {
        List<Resource> seen = new ArrayList<>();
        List<Resource> page = spec.resourceType().equals("Patient") ? List.of(p)
            : repo.all(spec.resourceType()).stream().map(Resource.class::cast).toList();
        ToolExchange ex = PipelineFixtures.fetched(recording(spec, seen),
            PipelineFixtures.caller(Set.of("sensitive-data"), Set.of("user/*.rs"), null), p.getIdPart(), page);
        try {
          stage.intercept(ex, e -> null);
        } catch (ToolCallException e) {
          assertThat(e.reason()).isIn(ToolCallException.Reason.NOT_FOUND, ToolCallException.Reason.FORBIDDEN);
        }
        for (Resource r : seen) {
          for (String path : populatedPaths(r)) {
            assertThat(allowed(path, spec.allowedElements())).as("%s: element %s is not allowed", spec.name(), path).isTrue();
            checked++;
          }
          toolsWithData.add(spec.name());
        }
      }
    }
    assertThat(checked).isGreaterThan(1000);
    assertThat(toolsWithData).hasSizeGreaterThanOrEqualTo(12);
  }

  @Test
  void theFixtureReallyHasElementsThatMustBeRemoved() {
    Patient p = SyntheaFixture.patients(repo).get(0);
    Set<String> raw = populatedPaths(p);
    assertThat(raw).contains("Patient.extension", "Patient.text", "Patient.identifier", "Patient.address.line");
  }
}
