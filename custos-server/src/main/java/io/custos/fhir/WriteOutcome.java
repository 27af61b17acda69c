package io.custos.fhir;

/**
 * What a FHIR R4 create or update interaction wrote (R4 3.1.0.4 create, 3.1.0.5 update): the server-assigned
 * logical id and version ({@code meta.versionId}, from {@code Location}/{@code ETag}).
 *
 * @param resourceType FHIR resource type written
 * @param id           logical id
 * @param versionId    version id, or null when the server does not report one
 * @param created      false when a conditional create ({@code If-None-Exist}) matched an existing resource and
 *                     nothing new was written
 */
public record WriteOutcome(String resourceType, String id, String versionId, boolean created) {}
