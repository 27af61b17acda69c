package io.custos.fhir.store;

import ca.uhn.fhir.rest.annotation.ConditionalUrlParam;
import ca.uhn.fhir.rest.annotation.Create;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.ResourceParam;
import ca.uhn.fhir.rest.annotation.Update;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.SimpleBundleProvider;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.method.ResponsePage;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Base;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Resource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Base class of the embedded store's HAPI plain-server resource providers (one per resource type): implements the
 * FHIR R4 {@code read} interaction (&sect;3.1.0.2, {@code GET [base]/[type]/[id]}) over an
 * {@link InMemoryRepository}, and gives subclasses helpers to implement {@code search-type} (&sect;3.1.0.8).
 *
 * <p>Outputs are deep copies of the stored resources (copied lazily, one page at a time), so responses never share
 * mutable state with the repository. Errors: {@code read} of an unknown id yields HTTP 404 with a generic message
 * (the id is not echoed); unsupported {@code _sort} keys, chains or modifiers yield HTTP 400.
 *
 * <p>Write support: {@code create} (optionally conditional on one identifier) and {@code update}
 * (optionally version-aware) for every resource type.
 *
 * @param <T> the R4 resource class served
 */
public abstract class StoreResourceProvider<T extends Resource> implements IResourceProvider {

  protected final InMemoryRepository repository;
  protected final Class<T> resourceClass;
  protected final String typeName;

  /**
   * @param repository backing store
   * @param resourceClass the R4 model class served, e.g. {@code Observation.class}
   */
  protected StoreResourceProvider(InMemoryRepository repository, Class<T> resourceClass) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.resourceClass = Objects.requireNonNull(resourceClass, "resourceClass");
    this.typeName = repository.fhirContext().getResourceType(resourceClass);
  }

  @Override
  public Class<? extends IBaseResource> getResourceType() {
    return resourceClass;
  }

  /**
   * FHIR read interaction.
   *
   * @param id the logical id (any version part is ignored; the store is not versioned)
   * @return a copy of the resource
   * @throws ResourceNotFoundException (HTTP 404) if there is no such resource
   */
  @Read
  public IBaseResource read(@IdParam IdType id) {
    return repository.get(typeName, id.getIdPart())
        .map(r -> (IBaseResource) ((Resource) r).copy())
        .orElseThrow(() -> new ResourceNotFoundException("Resource not found"));
  }

  /**
   * FHIR create interaction (R4 3.1.0.4, {@code POST [base]/[type]}): the store assigns a
   * random UUID id and {@code meta.versionId = 1}. A conditional create (3.1.0.8, {@code If-None-Exist}) supports
   * exactly one {@code identifier=system|value} criterion: when a resource of this type carries it, nothing is
   * written and the existing resource is reported (HTTP 200).
   *
   * @throws InvalidRequestException (HTTP 400) for any other conditional criterion
   */
  @Create
  public MethodOutcome create(@ResourceParam T resource, @ConditionalUrlParam String conditionalUrl) {
    String id = java.util.UUID.randomUUID().toString();
    resource.setId(new IdType(typeName, id, "1"));
    resource.getMeta().setVersionId("1").setLastUpdated(new java.util.Date());
    if (conditionalUrl != null) {
      String[] identifier = identifierCriterion(conditionalUrl);
      java.util.Optional<String> existing = repository.putIfIdentifierAbsent(resource, identifier[0], identifier[1]);
      if (existing.isPresent()) {
        IBaseResource found = repository.get(typeName, existing.get()).orElseThrow();
        String version = found.getMeta().getVersionId() == null ? "1" : found.getMeta().getVersionId();
        return new MethodOutcome(new IdType(typeName, existing.get(), version)).setCreated(false);
      }
    } else {
      repository.put(resource);
    }
    return new MethodOutcome(new IdType(typeName, id, "1")).setCreated(true);
  }

  /**
   * FHIR update interaction (R4 3.1.0.5, {@code PUT [base]/[type]/[id]}): replaces the resource
   * and increments {@code meta.versionId}. With {@code If-Match: W/"n"} (3.1.0.5.4, version-aware update) a stale
   * version fails with HTTP 409. Updating an id that does not exist creates it (update as create).
   */
  @Update
  public MethodOutcome update(@IdParam IdType id, @ResourceParam T resource) {
    String expected = id.hasVersionIdPart() ? id.getVersionIdPart() : null;
    String next = repository.get(typeName, id.getIdPart())
        .map(r -> String.valueOf(parseVersion(r.getMeta().getVersionId()) + 1)).orElse("1");
    resource.setId(new IdType(typeName, id.getIdPart(), next));
    resource.getMeta().setVersionId(next).setLastUpdated(new java.util.Date());
    if (repository.replaceIfVersion(resource, expected).isPresent()) {
      throw new ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException("Version conflict");
    }
    return new MethodOutcome(new IdType(typeName, id.getIdPart(), next)).setCreated("1".equals(next));
  }

  private static long parseVersion(String v) {
    try {
      return v == null ? 1 : Long.parseLong(v);
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /** {@code [Type?]identifier=system|value} -> {system, value}. */
  private static String[] identifierCriterion(String conditionalUrl) {
    String query = conditionalUrl.contains("?") ? conditionalUrl.substring(conditionalUrl.indexOf('?') + 1) : conditionalUrl;
    if (!query.startsWith("identifier=") || query.contains("&")) {
      throw new InvalidRequestException("Only If-None-Exist: identifier=system|value is supported");
    }
    String token = java.net.URLDecoder.decode(query.substring("identifier=".length()), java.nio.charset.StandardCharsets.UTF_8);
    int bar = token.indexOf('|');
    return bar < 0 ? new String[] {null, token} : new String[] {token.substring(0, bar), token.substring(bar + 1)};
  }

  /**
   * Candidate set for a search: the patient-index entries when one of {@code patientParams} names a Patient,
   * otherwise every resource of the type. Callers must still apply the exact parameter semantics.
   */
  protected List<T> candidates(ReferenceParam... patientParams) {
    List<IBaseResource> source = null;
    for (ReferenceParam p : patientParams) {
      String pid = SearchMatchers.patientId(p);
      if (pid != null) {
        source = repository.forPatient(typeName, pid);
        break;
      }
    }
    if (source == null) {
      source = repository.all(typeName);
    }
    List<T> out = new ArrayList<>(source.size());
    for (IBaseResource r : source) {
      out.add(resourceClass.cast(r));
    }
    return out;
  }

  /**
   * Filters, optionally sorts, and wraps the result for HAPI paging.
   *
   * @param sortKeys search-parameter name -> element whose start instant is the sort key; resources without a
   *                 value sort last in either direction
   * @throws InvalidRequestException if {@code sort} names an unsupported key or chains several keys
   */
  protected IBundleProvider respond(List<T> candidates, Predicate<T> filter, SortSpec sort,
                                    Map<String, Function<T, Base>> sortKeys) {
    List<T> matches = new ArrayList<>();
    for (T r : candidates) {
      if (filter.test(r)) {
        matches.add(r);
      }
    }
    if (sort != null && sort.getParamName() != null) {
      if (sort.getChain() != null) {
        throw new InvalidRequestException("Only one _sort key is supported");
      }
      Function<T, Base> key = sortKeys.get(sort.getParamName());
      if (key == null) {
        throw new InvalidRequestException("Unsupported _sort key");
      }
      boolean desc = sort.getOrder() == SortOrderEnum.DESC;
      Comparator<Long> order = desc ? Comparator.reverseOrder() : Comparator.naturalOrder();
      matches.sort(Comparator.comparing(r -> SearchMatchers.start(key.apply(r)),
          Comparator.nullsLast(order)));
    }
    return new CopyingBundleProvider(matches);
  }

  /** A {@link SimpleBundleProvider} that hands out deep copies, one page at a time. */
  static final class CopyingBundleProvider extends SimpleBundleProvider {
    CopyingBundleProvider(List<? extends IBaseResource> list) {
      super(list);
    }

    @Override
    public List<IBaseResource> getResources(int from, int to, ResponsePage.ResponsePageBuilder builder) {
      List<IBaseResource> page = super.getResources(from, to, builder);
      List<IBaseResource> out = new ArrayList<>(page.size());
      for (IBaseResource r : page) {
        out.add(((Resource) r).copy());
      }
      return out;
    }
  }
}
