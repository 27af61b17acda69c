package io.custos.fhir.store;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.MethodNotAllowedException;

/**
 * A server interceptor that answers {@code 405 Method Not Allowed} (with an {@code OperationOutcome} and
 * {@code Allow: GET}) to every search made by {@code POST [type]/_search} or {@code POST _search}: FHIR R4
 * (RESTful API, search) lets a server refuse one of GET and POST search, and some EHRs refuse POST.
 */
@Interceptor
public final class RefusePostSearch {

  @Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
  public void refuse(RequestDetails request) {
    RestOperationTypeEnum op = request.getRestOperationType();
    boolean search = op == RestOperationTypeEnum.SEARCH_TYPE || op == RestOperationTypeEnum.SEARCH_SYSTEM;
    if (search && request.getRequestType() == RequestTypeEnum.POST) {
      throw new MethodNotAllowedException("This server does not support search by POST", RequestTypeEnum.GET);
    }
  }
}
