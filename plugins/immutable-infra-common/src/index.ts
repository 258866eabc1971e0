/**
 * Shared types, schemas, annotation constants, permissions and the HTTP
 * client of the Immutable Infra plugins.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './parseAnnotations';
export * from './permissions';
export * from './validation';
export * from './entityRefs';
export * from './schemas';
export * from './registrySchemas';
export * from './params';
export * from './fleetSchemas';
export * from './summarySchemas';
export * from './rolloutSchemas';
export * from './remediationSchemas';
export * from './remediationPolicy';
export * from './rolloutSteps';
export * from './adoptionSchemas';
export * from './responseSchemas';
export * from './client';
