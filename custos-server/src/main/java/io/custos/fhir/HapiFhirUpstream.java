package io.custos.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.SearchStyleEnum;
import ca.uhn.fhir.rest.client.api.IClientInterceptor;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import ca.uhn.fhir.rest.client.api.ServerValidationModeEnum;
import ca.uhn.fhir.rest.client.exceptions.FhirClientConnectionException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link FhirUpstream} over HAPI FHIR's generic REST client, usable against any FHIR R4 base URL.
 *
 * <p>Searches go out as {@code POST [type]/_search} (FHIR R4 3.1.1.3.1) so no search value appears in
 * an upstream URL, unless the upstream is configured for {@link SearchMethod#GET}; FHIR lets a server refuse one of
 * GET and POST search, so a {@code 405} to a POST search switches this upstream (and every per-caller view of it) to
 * GET for the rest of the process, and the search is sent again by GET. Connect and read timeouts are bounded. Upstream error bodies are never read into
 * exceptions: failures become an {@link UpstreamException} that carries only a kind and a status.
 * Outbound credentials are added by {@link IClientInterceptor}s supplied by the caller; the inbound MCP
 * bearer token is never among them.
 */
public final class HapiFhirUpstream implements FhirUpstream {
  private static final Logger LOG = LoggerFactory.getLogger(HapiFhirUpstream.class);

  private final FhirContext context;
  private final String baseUrl;
  private final List<IClientInterceptor> interceptors;
  private final UpstreamAuth auth;
  private final IGenericClient client;
  /** Shared by every per-caller view: one 405 to POST search switches them all. */
  private final AtomicReference<SearchMethod> searchMethod;

  /**
   * @param context      shared R4 context (expensive to create; one per process)
   * @param baseUrl      upstream base, e.g. {@code https://fhir.example.org/R4}; a trailing slash is removed
   * @param timeout      connect and socket timeout, at least 1 ms
   * @param interceptors outbound request interceptors (credentials, user identity headers); may be empty
   */
  public HapiFhirUpstream(FhirContext context, String baseUrl, Duration timeout, List<IClientInterceptor> interceptors) {
    this(context, baseUrl, timeout, interceptors, UpstreamAuth.none());
  }

  /**
   * As above, with per-caller outbound credentials ({@code upstream.auth}).
   *
   * @param auth gives the interceptor for each caller's view ({@link #as})
   */
  public HapiFhirUpstream(FhirContext context, String baseUrl, Duration timeout, List<IClientInterceptor> interceptors,
      UpstreamAuth auth) {
    this(context, baseUrl, timeout, interceptors, auth, SearchMethod.POST);
  }

  /**
   * As above, with the search method to start with ({@code upstream.searchMethod}).
   *
   * @param searchMethod {@link SearchMethod#POST} (falls back to GET on a 405) or {@link SearchMethod#GET}
   */
  public HapiFhirUpstream(FhirContext context, String baseUrl, Duration timeout, List<IClientInterceptor> interceptors,
      UpstreamAuth auth, SearchMethod searchMethod) {
    this(context, baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl, List.copyOf(interceptors), auth,
        new AtomicReference<>(searchMethod));
    var factory = context.getRestfulClientFactory();
    factory.setServerValidationMode(ServerValidationModeEnum.NEVER);
    factory.setConnectTimeout((int) timeout.toMillis());
    factory.setSocketTimeout((int) timeout.toMillis());
    factory.setConnectionRequestTimeout((int) timeout.toMillis());
  }

  private HapiFhirUpstream(FhirContext context, String baseUrl, List<IClientInterceptor> interceptors, UpstreamAuth auth,
      AtomicReference<SearchMethod> searchMethod) {
    this.context = context;
    this.searchMethod = searchMethod;
    this.baseUrl = baseUrl;
    this.interceptors = interceptors;
    this.auth = auth;
    this.client = context.newRestfulGenericClient(baseUrl);
    interceptors.forEach(client::registerInterceptor);
  }

  /**
   * A view for one caller: a generic client of its own (cheap: the HTTP client is shared through the
   * context's client factory) with the configured interceptors plus this caller's credential interceptor.
   */
  @Override
  public FhirUpstream as(io.custos.auth.Caller caller) {
    var credential = auth.interceptorFor(caller);
    if (credential.isEmpty()) {
      return this;
    }
    List<IClientInterceptor> all = new ArrayList<>(interceptors);
    all.add(credential.get());
    return new HapiFhirUpstream(context, baseUrl, all, UpstreamAuth.none(), searchMethod);
  }

  @Override
  public SearchPage execute(UpstreamRequest request) {
    return switch (request) {
      case UpstreamRequest.Read read -> {
        if (read.id().equals(".") || read.id().equals("..")) {
          // Valid by the FHIR id pattern, but a URL dot-segment: never let it reach the server as a path.
          throw new UpstreamException(UpstreamException.Kind.NOT_FOUND, 404);
        }
        IBaseResource resource = call(() -> client.read().resource(read.resourceType()).withId(read.id()).execute());
        yield new SearchPage(List.of((Resource) resource), Optional.empty());
      }
      case UpstreamRequest.Search search -> toPage(search(search));
    };
  }

  private Bundle search(UpstreamRequest.Search search) {
    SearchMethod method = searchMethod.get();
    try {
      return call(() -> search(search, method));
    } catch (UpstreamException e) {
      if (method != SearchMethod.POST || e.status() != 405) {
        throw e;
      }
      if (searchMethod.compareAndSet(SearchMethod.POST, SearchMethod.GET)) {
        LOG.warn("The FHIR upstream refused search by POST (HTTP 405): searching by GET from now on");
      }
      return call(() -> search(search, SearchMethod.GET));
    }
  }

  private Bundle search(UpstreamRequest.Search search, SearchMethod method) {
    // Parameters as a map, not a search URL: the client sends a URL-built search by GET whatever the style.
    return client.search()
        .forResource(search.resourceType())
        .whereMap(search.params())
        .count(search.count())
        .usingStyle(method == SearchMethod.POST ? SearchStyleEnum.POST : SearchStyleEnum.GET)
        // Fresh results: a server may answer a repeated search from a cache of earlier results (HAPI FHIR JPA does
        // for 60 s), which would hide a write just committed and offer a Slot already taken.
        .withAdditionalHeader("Cache-Control", "no-cache")
        .returnBundle(Bundle.class)
        .execute();
  }

  /** The search method in use now: the configured one, or GET after the upstream refused POST. */
  public SearchMethod searchMethod() {
    return searchMethod.get();
  }

  /**
   * The upstream's CapabilityStatement ({@code GET [base]/metadata}).
   *
   * @throws UpstreamException if it cannot be read (classified as for any call)
   */
  public CapabilityStatement capabilities() {
    return call(() -> client.capabilities().ofType(CapabilityStatement.class).execute());
  }

  @Override
  public SearchPage nextPage(String nextLink) {
    if (!nextLink.startsWith(baseUrl + "?") && !nextLink.startsWith(baseUrl + "/")) {
      throw new IllegalArgumentException("next link does not belong to the configured upstream");
    }
    return toPage(call(() -> client.loadPage().byUrl(nextLink).andReturnBundle(Bundle.class).execute()));
  }

  // Create / update for the human-approved write tools. Request bodies and error bodies are never logged.
  @Override
  public WriteOutcome create(Resource resource, Optional<String> ifNoneExist) {
    String type = resource.fhirType();
    ca.uhn.fhir.rest.api.MethodOutcome outcome = call(() -> {
      var op = client.create().resource(resource);
      return ifNoneExist.isPresent() ? op.conditionalByUrl(type + "?" + ifNoneExist.get()).execute() : op.execute();
    });
    return outcome(type, outcome, !Boolean.FALSE.equals(outcome.getCreated()));
  }

  @Override
  public WriteOutcome update(Resource resource, Optional<String> ifMatchVersion) {
    String type = resource.fhirType();
    String id = resource.getIdElement().getIdPart();
    Resource body = resource.copy();
    body.setId(type + "/" + id);
    ca.uhn.fhir.rest.api.MethodOutcome outcome = call(() -> {
      var op = client.update().resource(body).withId(type + "/" + id);
      ifMatchVersion.ifPresent(v -> op.withAdditionalHeader("If-Match", "W/\"" + v + "\""));
      return op.execute();
    });
    return outcome(type, outcome, false);
  }

  private static WriteOutcome outcome(String type, ca.uhn.fhir.rest.api.MethodOutcome outcome, boolean created) {
    var id = outcome.getId();
    if (id == null || id.getIdPart() == null) {
      throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0);
    }
    return new WriteOutcome(type, id.getIdPart(), id.getVersionIdPart(), created);
  }

  @Override
  public String baseUrl() {
    return baseUrl;
  }

  private static SearchPage toPage(Bundle bundle) {
    List<Resource> resources = new ArrayList<>();
    for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
      boolean match = !entry.hasSearch() || !entry.getSearch().hasMode()
          || entry.getSearch().getMode() == Bundle.SearchEntryMode.MATCH;
      if (entry.hasResource() && match) {
        resources.add(entry.getResource());
      }
    }
    Bundle.BundleLinkComponent next = bundle.getLink(Bundle.LINK_NEXT);
    return new SearchPage(resources, Optional.ofNullable(next).map(Bundle.BundleLinkComponent::getUrl));
  }

  /** Runs one upstream call and classifies any failure; the upstream body is never propagated. */
  private static <T> T call(Supplier<T> action) {
    try {
      return action.get();
    } catch (FhirClientConnectionException e) {
      // HAPI wraps a body it cannot parse (HTML, JSON that is not FHIR, the wrong resource type) in a
      // "connection" exception: that server answered, with garbage, and is not merely unavailable.
      throw new UpstreamException(parseFailure(e) ? UpstreamException.Kind.INVALID_RESPONSE : UpstreamException.Kind.UNAVAILABLE, 0);
    } catch (BaseServerResponseException e) {
      throw classify(e.getStatusCode());
    } catch (DataFormatException | ClassCastException e) {
      throw new UpstreamException(UpstreamException.Kind.INVALID_RESPONSE, 0);
    }
  }

  private static boolean parseFailure(Throwable e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof DataFormatException) {
        return true;
      }
    }
    return false;
  }

  static UpstreamException classify(int status) {
    UpstreamException.Kind kind;
    if (status == 404 || status == 410) {
      kind = UpstreamException.Kind.NOT_FOUND;
    } else if (status == 401 || status == 403) {
      kind = UpstreamException.Kind.DENIED;
    } else if (status == 0 || status == 408 || status == 429 || status >= 500) {
      kind = UpstreamException.Kind.UNAVAILABLE;
    } else {
      kind = UpstreamException.Kind.INVALID_RESPONSE;
    }
    return new UpstreamException(kind, status);
  }
}
