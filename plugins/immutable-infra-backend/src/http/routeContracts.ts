import {
  adoptionHistoryQuerySchema,
  adoptionHistoryResponseSchema,
  adoptionQuerySchema,
  adoptionResponseSchema,
  adoptionSnapshotRequestSchema,
  adoptionSnapshotResponseSchema,
  assignChannelRequestSchema,
  auditEventPageSchema,
  blastRadiusSchema,
  channelChangeResponseSchema,
  channelHistoryPageSchema,
  channelHistoryQuerySchema,
  channelPathParamsSchema,
  channelSchema,
  channelsResponseSchema,
  createInitiativeRequestSchema,
  createRolloutRequestSchema,
  createRolloutResponseSchema,
  driftQuerySchema,
  driftResponseSchema,
  enrollRequestSchema,
  enrollResponseSchema,
  entityPathParamsSchema,
  entitySummarySchema,
  errorResponseSchema,
  familyListSchema,
  familyPathParamsSchema,
  healthResponseSchema,
  imageAgeResponseSchema,
  imageFamilySchema,
  imageIdParamSchema,
  imageVersionPageSchema,
  imageVersionSchema,
  initiativeDetailSchema,
  initiativeListSchema,
  initiativePathParamsSchema,
  initiativeSchema,
  instancePageSchema,
  instanceQuerySchema,
  pageQuerySchema,
  pruneRequestSchema,
  pruneResultSchema,
  registerImageRequestSchema,
  registerImageResponseSchema,
  restoreImageRequestSchema,
  revokeImageRequestSchema,
  rollbackChannelRequestSchema,
  ROLLOUT_ACTIONS,
  rolloutControlRequestSchema,
  rolloutPageSchema,
  rolloutPathParamsSchema,
  rolloutPromoteRequestSchema,
  rolloutSchema,
  stateChangeResponseSchema,
  syncRequestSchema,
  syncResponseSchema,
  updateInitiativeRequestSchema,
} from '@immutable-infra/backstage-plugin-common';
import { z } from 'zod';

/**
 * The request bodies of the API, by the name the OpenAPI document gives
 * them (`#/components/schemas/<name>`), described as the caller writes them.
 *
 * @internal
 */
export const REQUEST_SCHEMAS = {
  EnrollRequest: enrollRequestSchema,
  RegisterImageRequest: registerImageRequestSchema,
  PruneRequest: pruneRequestSchema,
  RevokeImageRequest: revokeImageRequestSchema,
  RestoreImageRequest: restoreImageRequestSchema,
  AssignChannelRequest: assignChannelRequestSchema,
  RollbackChannelRequest: rollbackChannelRequestSchema,
  SyncRequest: syncRequestSchema,
  CreateRolloutRequest: createRolloutRequestSchema,
  RolloutControlRequest: rolloutControlRequestSchema,
  RolloutPromoteRequest: rolloutPromoteRequestSchema,
  CreateInitiativeRequest: createInitiativeRequestSchema,
  UpdateInitiativeRequest: updateInitiativeRequestSchema,
  AdoptionSnapshotRequest: adoptionSnapshotRequestSchema,
} satisfies Record<string, z.ZodType>;

/**
 * What `GET /openapi.json` answers: an OpenAPI 3.1 document, described only
 * as far as a reader of it needs to know it is one.
 */
const openApiDocumentSchema = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/**
 * The answers of the API, by the name the OpenAPI document gives them,
 * described as the backend writes them. A schema used inside another one
 * (a version inside a registration's answer) is named once and referred to.
 *
 * @internal
 */
export const RESPONSE_SCHEMAS = {
  Health: healthResponseSchema,
  OpenApiDocument: openApiDocumentSchema,
  Error: errorResponseSchema,
  EntitySummary: entitySummarySchema,
  AuditEventPage: auditEventPageSchema,
  ImageFamily: imageFamilySchema,
  FamilyList: familyListSchema,
  EnrollResponse: enrollResponseSchema,
  Channel: channelSchema,
  ChannelList: channelsResponseSchema,
  ChannelHistoryPage: channelHistoryPageSchema,
  ChannelChangeResponse: channelChangeResponseSchema,
  ImageVersion: imageVersionSchema,
  ImageVersionPage: imageVersionPageSchema,
  RegisterImageResponse: registerImageResponseSchema,
  StateChangeResponse: stateChangeResponseSchema,
  PruneResult: pruneResultSchema,
  BlastRadius: blastRadiusSchema,
  InstancePage: instancePageSchema,
  DriftResponse: driftResponseSchema,
  ImageAgeResponse: imageAgeResponseSchema,
  SyncResponse: syncResponseSchema,
  Rollout: rolloutSchema,
  RolloutPage: rolloutPageSchema,
  CreateRolloutResponse: createRolloutResponseSchema,
  Initiative: initiativeSchema,
  InitiativeList: initiativeListSchema,
  InitiativeDetail: initiativeDetailSchema,
  AdoptionResponse: adoptionResponseSchema,
  AdoptionHistoryResponse: adoptionHistoryResponseSchema,
  AdoptionSnapshotResponse: adoptionSnapshotResponseSchema,
} satisfies Record<string, z.ZodType>;

/** @internal */
export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

/** @internal */
export type ResponseSchemaName = keyof typeof RESPONSE_SCHEMAS;

/** The groups the document lists its routes under, with what each holds. @internal */
export const ROUTE_TAGS = {
  entities: "One catalog entity's pages: summary, images, fleet, drift, audit",
  families: 'Enrolment of image families, and their channels',
  images: 'Registration, revocation, pruning and blast radius of versions',
  fleet: 'Fleet inventory syncs',
  rollouts: 'Rollouts of a version to an environment',
  adoption: 'Immutability across the catalog, and initiatives',
  service: 'Health and this document',
} as const;

/**
 * Refusals a route answers beyond those the document gives every route
 * that can answer them: 400 for a path parameter, query or body that fails
 * its schema (every route with credentials refuses a query it does not
 * read), 401 without credentials, 413 for a body over the limit, 415 for
 * one in an encoding or charset it does not read.
 *
 * @internal
 */
export type RouteError = 403 | 404 | 409 | 503;

/**
 * One route of `/api/immutable-infra` as its OpenAPI entry describes it.
 * Inputs are the zod schemas the handler parses with, so the document says
 * what the handler checks.
 *
 * @internal
 */
export type RouteContract = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The route's pattern as the router declares it, e.g. `/images/:id`. */
  path: string;
  operationId: string;
  tag: keyof typeof ROUTE_TAGS;
  summary: string;
  /** A route any caller may ask, without credentials. */
  unauthenticated?: true;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: RequestSchemaName;
  /** Answers by status: a JSON body by its schema's name, or CSV. */
  responses: Partial<Record<200 | 201, ResponseSchemaName | 'text/csv'>>;
  errors?: RouteError[];
};

const ENTITY = '/entities/:kind/:namespace/:name';

/** An entity's read: its path, a query when it pages, 404 when unreadable. */
function entityRead(
  route: Pick<RouteContract, 'operationId' | 'summary' | 'query'> & {
    page: string;
    response: ResponseSchemaName;
  },
): RouteContract {
  return {
    method: 'get',
    path: `${ENTITY}/${route.page}`,
    operationId: route.operationId,
    tag: 'entities',
    summary: route.summary,
    params: entityPathParamsSchema,
    query: route.query,
    responses: { 200: route.response },
    errors: [404],
  };
}

/**
 * Every route of the router, in the order it declares them. The OpenAPI
 * document is made from this list; `openApiDocument.test.ts` fails for a
 * route of the router missing here, or an entry here with no route.
 *
 * @internal
 */
export const ROUTE_CONTRACTS: ReadonlyArray<RouteContract> = [
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tag: 'service',
    summary: 'Whether the plugin is up',
    unauthenticated: true,
    responses: { 200: 'Health' },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'service',
    summary: 'This document',
    responses: { 200: 'OpenApiDocument' },
  },

  entityRead({
    page: 'summary',
    operationId: 'getEntitySummary',
    summary:
      "An entity's enrolment, annotations, score, findings, versions per environment and active rollouts",
    response: 'EntitySummary',
  }),
  entityRead({
    page: 'audit',
    operationId: 'listAuditEvents',
    summary: "The entity's audit log, newest first",
    query: pageQuerySchema,
    response: 'AuditEventPage',
  }),
  entityRead({
    page: 'images',
    operationId: 'listEntityImages',
    summary: "The versions of the entity's family, newest first",
    query: pageQuerySchema,
    response: 'ImageVersionPage',
  }),
  entityRead({
    page: 'instances',
    operationId: 'listInstances',
    summary: "The entity's instances, with the drift rules each breaks",
    query: instanceQuerySchema,
    response: 'InstancePage',
  }),
  entityRead({
    page: 'drift',
    operationId: 'getDrift',
    summary:
      "The entity's drift findings, grouped by root cause, with its remediation policy and what the policy does with each group",
    query: driftQuerySchema,
    response: 'DriftResponse',
  }),
  entityRead({
    page: 'image-age',
    operationId: 'getImageAge',
    summary: 'Image age per environment against policy',
    response: 'ImageAgeResponse',
  }),

  {
    method: 'post',
    path: '/families',
    operationId: 'enroll',
    tag: 'families',
    summary:
      "Enrolls an entity's image family (201), or confirms it (200 when the entity already owns it)",
    body: 'EnrollRequest',
    responses: { 200: 'EnrollResponse', 201: 'EnrollResponse' },
    errors: [403, 409],
  },
  {
    method: 'get',
    path: '/families',
    operationId: 'listFamilies',
    tag: 'families',
    summary: 'The enrolled families whose entity the caller may read',
    responses: { 200: 'FamilyList' },
  },
  {
    method: 'get',
    path: '/families/:family/channels',
    operationId: 'listChannels',
    tag: 'families',
    summary: "A family's channels and the version each points at",
    params: familyPathParamsSchema,
    responses: { 200: 'ChannelList' },
    errors: [404],
  },
  {
    method: 'get',
    path: '/families/:family/channels/history',
    operationId: 'getChannelHistory',
    tag: 'families',
    summary: "A family's channel assignments, newest first",
    params: familyPathParamsSchema,
    query: channelHistoryQuerySchema,
    responses: { 200: 'ChannelHistoryPage' },
    errors: [404],
  },
  {
    method: 'put',
    path: '/families/:family/channels/:channel',
    operationId: 'assignChannel',
    tag: 'families',
    summary: 'Points a channel at a version',
    params: channelPathParamsSchema,
    body: 'AssignChannelRequest',
    responses: { 200: 'ChannelChangeResponse' },
    errors: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/families/:family/channels/:channel/rollback',
    operationId: 'rollbackChannel',
    tag: 'families',
    summary:
      'Points a channel back at the version of an earlier assignment, or of the one before the current',
    params: channelPathParamsSchema,
    body: 'RollbackChannelRequest',
    responses: { 200: 'ChannelChangeResponse' },
    errors: [403, 404, 409],
  },

  {
    method: 'post',
    path: '/images',
    operationId: 'registerImage',
    tag: 'images',
    summary:
      'Registers a version (201), or finds the one with the same content (200)',
    body: 'RegisterImageRequest',
    responses: { 200: 'RegisterImageResponse', 201: 'RegisterImageResponse' },
    errors: [403, 404, 409, 503],
  },
  {
    method: 'post',
    path: '/images/prune',
    operationId: 'pruneImages',
    tag: 'images',
    summary:
      'Deregisters the versions nothing keeps; a dry run unless dryRun is false',
    body: 'PruneRequest',
    responses: { 200: 'PruneResult' },
    errors: [403, 404],
  },
  {
    method: 'get',
    path: '/images/:id',
    operationId: 'getImage',
    tag: 'images',
    summary: 'One version, by `<family>@<version>` or one of its AMI ids',
    params: imageIdParamSchema,
    responses: { 200: 'ImageVersion' },
    errors: [404],
  },
  {
    method: 'get',
    path: '/images/:id/blast-radius',
    operationId: 'getBlastRadius',
    tag: 'images',
    summary: 'The entities, environments and instances still running a version',
    params: imageIdParamSchema,
    responses: { 200: 'BlastRadius' },
    errors: [404],
  },
  ...(['revoke', 'restore'] as const).map(
    (action): RouteContract => ({
      method: 'post',
      path: `/images/:id/${action}`,
      operationId: `${action}Image`,
      tag: 'images',
      summary:
        action === 'revoke'
          ? 'Revokes a version, and with descendants those built on it'
          : 'Restores a revoked version, and with descendants those built on it',
      params: imageIdParamSchema,
      body: action === 'revoke' ? 'RevokeImageRequest' : 'RestoreImageRequest',
      responses: { 200: 'StateChangeResponse' },
      errors: [403, 404, 409],
    }),
  ),

  {
    method: 'post',
    path: '/sync',
    operationId: 'syncFleet',
    tag: 'fleet',
    summary: 'Syncs the fleet of one entity, or of every enrolled one, now',
    body: 'SyncRequest',
    responses: { 200: 'SyncResponse' },
    errors: [403, 404],
  },

  {
    method: 'post',
    path: '/rollouts',
    operationId: 'createRollout',
    tag: 'rollouts',
    summary: 'Starts a rollout (201), or with dryRun answers its plan (200)',
    body: 'CreateRolloutRequest',
    responses: { 200: 'CreateRolloutResponse', 201: 'CreateRolloutResponse' },
    // 503: the plan's target groups could not be read from AWS.
    errors: [403, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/rollouts/:id',
    operationId: 'getRollout',
    tag: 'rollouts',
    summary: 'A rollout: its state, plan, fleets and timeline',
    params: rolloutPathParamsSchema,
    responses: { 200: 'Rollout' },
    errors: [404],
  },
  ...ROLLOUT_ACTIONS.map(
    (action): RouteContract => ({
      method: 'post',
      path: `/rollouts/:id/${action}`,
      operationId: `${action}Rollout`,
      tag: 'rollouts',
      summary: `${action[0].toUpperCase()}${action.slice(1)}s a rollout`,
      params: rolloutPathParamsSchema,
      body:
        action === 'promote'
          ? 'RolloutPromoteRequest'
          : 'RolloutControlRequest',
      responses: { 200: 'Rollout' },
      errors: [403, 404, 409],
    }),
  ),
  entityRead({
    page: 'rollouts',
    operationId: 'listEntityRollouts',
    summary: "The entity's rollouts, newest first, without timelines",
    query: pageQuerySchema,
    response: 'RolloutPage',
  }),

  {
    method: 'get',
    path: '/initiatives',
    operationId: 'listInitiatives',
    tag: 'adoption',
    summary: 'The initiatives, active ones first, with their progress',
    responses: { 200: 'InitiativeList' },
  },
  {
    method: 'post',
    path: '/initiatives',
    operationId: 'createInitiative',
    tag: 'adoption',
    summary: 'Starts an initiative: a goal over a scope by a deadline',
    body: 'CreateInitiativeRequest',
    responses: { 201: 'Initiative' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/initiatives/:id',
    operationId: 'getInitiative',
    tag: 'adoption',
    summary: 'An initiative with its burn-up, owners and the components behind',
    params: initiativePathParamsSchema,
    responses: { 200: 'InitiativeDetail' },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/initiatives/:id',
    operationId: 'updateInitiative',
    tag: 'adoption',
    summary: 'Changes or closes an initiative',
    params: initiativePathParamsSchema,
    body: 'UpdateInitiativeRequest',
    responses: { 200: 'Initiative' },
    errors: [403, 404, 409],
  },
  {
    method: 'post',
    path: '/adoption/snapshots',
    operationId: 'takeAdoptionSnapshot',
    tag: 'adoption',
    summary:
      "Writes today's adoption snapshot now, and rebuilds backfillDays before it",
    body: 'AdoptionSnapshotRequest',
    responses: { 201: 'AdoptionSnapshotResponse' },
    errors: [403],
  },
  {
    method: 'get',
    path: '/adoption',
    operationId: 'getAdoption',
    tag: 'adoption',
    summary:
      "The last day's adoption figures, roll-ups and a page of services, over what the caller may read",
    query: adoptionQuerySchema,
    responses: { 200: 'AdoptionResponse' },
  },
  {
    method: 'get',
    path: '/adoption/history',
    operationId: 'getAdoptionHistory',
    tag: 'adoption',
    summary: "The view's figures of each day with snapshots",
    query: adoptionHistoryQuerySchema,
    responses: { 200: 'AdoptionHistoryResponse' },
  },
  {
    method: 'get',
    path: '/adoption.csv',
    operationId: 'getAdoptionCsv',
    tag: 'adoption',
    summary: 'Every service of the adoption view, as CSV',
    query: adoptionQuerySchema,
    responses: { 200: 'text/csv' },
  },
];
