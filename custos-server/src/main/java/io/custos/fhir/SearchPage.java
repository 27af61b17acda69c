package io.custos.fhir;

import java.util.List;
import java.util.Optional;
import org.hl7.fhir.r4.model.Resource;

/**
 * One page of upstream results.
 *
 * @param resources the resources on this page (search mode "match" only; includes are dropped)
 * @param nextLink  the upstream's {@code next} link, if any. It stays on the server: clients only ever
 *                  see an opaque cursor id (see {@link io.custos.pipeline.CursorStore}).
 */
public record SearchPage(List<Resource> resources, Optional<String> nextLink) {
  public SearchPage {
    resources = List.copyOf(resources);
  }
}
