import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { z } from 'zod';
import {
  EnrollRequest,
  EnrollResponse,
  enrollResponseSchema,
  familyListSchema,
  ImageFamily,
} from '../schemas';
import {
  AuditEventPage,
  auditEventPageSchema,
  EntitySummary,
  entitySummarySchema,
} from '../summarySchemas';
import {
  BlastRadius,
  blastRadiusSchema,
  DriftResponse,
  driftResponseSchema,
  DriftRule,
  ImageAgeResponse,
  imageAgeResponseSchema,
  InstancePage,
  instancePageSchema,
  SyncResponse,
  syncResponseSchema,
} from '../fleetSchemas';
import {
  Channel,
  ChannelHistoryPage,
  channelHistoryPageSchema,
  channelsResponseSchema,
  ImageVersion,
  ImageVersionPage,
  imageVersionPageSchema,
  imageVersionSchema,
  PruneRequest,
  PruneResult,
  pruneResultSchema,
  RegisterImageRequest,
  RegisterImageResponse,
  registerImageResponseSchema,
  StateChangeResponse,
  stateChangeResponseSchema,
} from '../registrySchemas';
import {
  AdoptionHistoryResponse,
  adoptionHistoryResponseSchema,
  adoptionQueryParams,
  AdoptionResponse,
  adoptionResponseSchema,
  AdoptionViewRequest,
  CreateInitiativeRequest,
  Initiative,
  InitiativeDetail,
  initiativeDetailSchema,
  initiativeListSchema,
  initiativeSchema,
  UpdateInitiativeRequest,
} from '../adoptionSchemas';
import {
  CreateRolloutRequest,
  CreateRolloutResponse,
  createRolloutResponseSchema,
  Rollout,
  RolloutAction,
  RolloutControlRequest,
  RolloutPage,
  rolloutPageSchema,
  RolloutPromoteRequest,
  rolloutSchema,
} from '../rolloutSchemas';
import {
  ChannelChangeResponse,
  channelChangeResponseSchema,
} from '../responseSchemas';

/** Paging of list calls. @public */
export type PageOptions = { cursor?: string; limit?: number };

function queryString(
  params: Record<string, string | number | undefined>,
): string {
  const entries = Object.entries(params).filter(
    (e): e is [string, string | number] => e[1] !== undefined,
  );
  return entries.length
    ? `?${new URLSearchParams(
        entries.map(([k, v]) => [k, String(v)]),
      ).toString()}`
    : '';
}

function entityPath(entity: CompoundEntityRef): string {
  return [entity.kind, entity.namespace, entity.name]
    .map(encodeURIComponent)
    .join('/');
}

/**
 * The plugin id, used for discovery and service-to-service tokens.
 *
 * @public
 */
export const IMMUTABLE_INFRA_PLUGIN_ID = 'immutable-infra';

/**
 * Options per request: a token to send when the fetch implementation does not
 * add one itself (backend callers).
 *
 * @public
 */
export type ImmutableInfraRequestOptions = {
  token?: string;
};

/**
 * The HTTP API of the Immutable Infra backend.
 *
 * @public
 */
export interface ImmutableInfraApi {
  getEntitySummary(
    entity: CompoundEntityRef,
    options?: ImmutableInfraRequestOptions,
  ): Promise<EntitySummary>;
  enroll(
    request: EnrollRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<EnrollResponse>;
  /** The enrolled families whose entity the caller may read. */
  listFamilies(options?: ImmutableInfraRequestOptions): Promise<ImageFamily[]>;
  listEntityImages(
    entity: CompoundEntityRef,
    page?: PageOptions,
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageVersionPage>;
  getImage(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageVersion>;
  registerImage(
    request: RegisterImageRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<RegisterImageResponse>;
  revokeImage(
    id: string,
    request: { reason: string; descendants?: boolean },
    options?: ImmutableInfraRequestOptions,
  ): Promise<StateChangeResponse>;
  restoreImage(
    id: string,
    request: { reason?: string; descendants?: boolean },
    options?: ImmutableInfraRequestOptions,
  ): Promise<StateChangeResponse>;
  listChannels(
    family: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Channel[]>;
  getChannelHistory(
    family: string,
    page?: PageOptions & { channel?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<ChannelHistoryPage>;
  assignChannel(
    family: string,
    channel: string,
    request: { version: number | string; reason?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<ChannelChangeResponse>;
  rollbackChannel(
    family: string,
    channel: string,
    request: { assignmentId?: string; reason?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<ChannelChangeResponse>;
  pruneImages(
    request: PruneRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<PruneResult>;
  /**
   * The entity's drift; `query.findingsPerGroup` bounds the findings and
   * instances each group lists.
   */
  getDrift(
    entity: CompoundEntityRef,
    options?: ImmutableInfraRequestOptions,
    query?: { findingsPerGroup?: number },
  ): Promise<DriftResponse>;
  listInstances(
    entity: CompoundEntityRef,
    query?: PageOptions & {
      environment?: string;
      rule?: DriftRule;
      state?: string;
    },
    options?: ImmutableInfraRequestOptions,
  ): Promise<InstancePage>;
  getImageAge(
    entity: CompoundEntityRef,
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageAgeResponse>;
  getBlastRadius(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<BlastRadius>;
  syncFleet(
    request: { entityRef?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<SyncResponse>;
  /** The entity's audit log, newest first. */
  listAuditEvents(
    entity: CompoundEntityRef,
    page?: PageOptions,
    options?: ImmutableInfraRequestOptions,
  ): Promise<AuditEventPage>;
  /** Starts a rollout, or with `dryRun` answers its plan. */
  createRollout(
    request: CreateRolloutRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<CreateRolloutResponse>;
  getRollout(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Rollout>;
  /**
   * Promote: ends the pause step `request.step` (the rollout's current step
   * when absent); 409 when the rollout is at another step or that step is
   * already promoted.
   */
  controlRollout(
    id: string,
    action: 'promote',
    request?: RolloutPromoteRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Rollout>;
  /** Pause, resume, promote, abort or retry. */
  controlRollout(
    id: string,
    action: RolloutAction,
    request?: RolloutControlRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Rollout>;
  /** The entity's rollouts, newest first. */
  listEntityRollouts(
    entity: CompoundEntityRef,
    page?: PageOptions,
    options?: ImmutableInfraRequestOptions,
  ): Promise<RolloutPage>;
  /** Adoption across the catalog: the view's figures, roll-ups and services. */
  getAdoption(
    request?: AdoptionViewRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<AdoptionResponse>;
  /** The view's figures of each day, `days` back (default 90). */
  getAdoptionHistory(
    request?: AdoptionViewRequest & { days?: number },
    options?: ImmutableInfraRequestOptions,
  ): Promise<AdoptionHistoryResponse>;
  /** Every service of the view as CSV. */
  getAdoptionCsv(
    request?: AdoptionViewRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<string>;
  /** The adoption initiatives, with their progress. */
  listInitiatives(
    options?: ImmutableInfraRequestOptions,
  ): Promise<Initiative[]>;
  /** An initiative, its burn-up, who is done and who is behind. */
  getInitiative(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<InitiativeDetail>;
  createInitiative(
    request: CreateInitiativeRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Initiative>;
  /** Changes an initiative; `state: 'closed'` closes it. */
  updateInitiative(
    id: string,
    change: UpdateInitiativeRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Initiative>;
}

/**
 * Typed client of the Immutable Infra backend, shared by the frontend plugin
 * and the scaffolder module. Non-2xx answers throw a `ResponseError` carrying
 * the backend's error body.
 *
 * @public
 */
export class ImmutableInfraClient implements ImmutableInfraApi {
  private readonly discoveryApi: {
    getBaseUrl(pluginId: string): Promise<string>;
  };
  private readonly fetchApi: { fetch: typeof fetch };

  constructor(options: {
    discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
    fetchApi?: { fetch: typeof fetch };
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...a) => fetch(...a) };
  }

  async getEntitySummary(
    entity: CompoundEntityRef,
    options?: ImmutableInfraRequestOptions,
  ): Promise<EntitySummary> {
    return this.get(
      entitySummarySchema,
      `/entities/${entityPath(entity)}/summary`,
      options,
    );
  }

  async enroll(
    request: EnrollRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<EnrollResponse> {
    return this.send(
      enrollResponseSchema,
      'POST',
      '/families',
      request,
      options,
    );
  }

  async listFamilies(
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageFamily[]> {
    const body = await this.get(familyListSchema, '/families', options);
    return body.items;
  }

  async listEntityImages(
    entity: CompoundEntityRef,
    page?: PageOptions,
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageVersionPage> {
    return this.get(
      imageVersionPageSchema,
      `/entities/${entityPath(entity)}/images${queryString({ ...page })}`,
      options,
    );
  }

  async getImage(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageVersion> {
    return this.get(
      imageVersionSchema,
      `/images/${encodeURIComponent(id)}`,
      options,
    );
  }

  async registerImage(
    request: RegisterImageRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<RegisterImageResponse> {
    return this.send(
      registerImageResponseSchema,
      'POST',
      '/images',
      request,
      options,
    );
  }

  async revokeImage(
    id: string,
    request: { reason: string; descendants?: boolean },
    options?: ImmutableInfraRequestOptions,
  ): Promise<StateChangeResponse> {
    return this.send(
      stateChangeResponseSchema,
      'POST',
      `/images/${encodeURIComponent(id)}/revoke`,
      request,
      options,
    );
  }

  async restoreImage(
    id: string,
    request: { reason?: string; descendants?: boolean },
    options?: ImmutableInfraRequestOptions,
  ): Promise<StateChangeResponse> {
    return this.send(
      stateChangeResponseSchema,
      'POST',
      `/images/${encodeURIComponent(id)}/restore`,
      request,
      options,
    );
  }

  async listChannels(
    family: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Channel[]> {
    const body = await this.get(
      channelsResponseSchema,
      `/families/${encodeURIComponent(family)}/channels`,
      options,
    );
    return body.channels;
  }

  async getChannelHistory(
    family: string,
    page?: PageOptions & { channel?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<ChannelHistoryPage> {
    return this.get(
      channelHistoryPageSchema,
      `/families/${encodeURIComponent(family)}/channels/history${queryString({
        ...page,
      })}`,
      options,
    );
  }

  async assignChannel(
    family: string,
    channel: string,
    request: { version: number | string; reason?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<ChannelChangeResponse> {
    return this.send(
      channelChangeResponseSchema,
      'PUT',
      `/families/${encodeURIComponent(family)}/channels/${encodeURIComponent(
        channel,
      )}`,
      request,
      options,
    );
  }

  async rollbackChannel(
    family: string,
    channel: string,
    request: { assignmentId?: string; reason?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<ChannelChangeResponse> {
    return this.send(
      channelChangeResponseSchema,
      'POST',
      `/families/${encodeURIComponent(family)}/channels/${encodeURIComponent(
        channel,
      )}/rollback`,
      request,
      options,
    );
  }

  async pruneImages(
    request: PruneRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<PruneResult> {
    return this.send(
      pruneResultSchema,
      'POST',
      '/images/prune',
      request,
      options,
    );
  }

  async getDrift(
    entity: CompoundEntityRef,
    options?: ImmutableInfraRequestOptions,
    query?: { findingsPerGroup?: number },
  ): Promise<DriftResponse> {
    return this.get(
      driftResponseSchema,
      `/entities/${entityPath(entity)}/drift${queryString({ ...query })}`,
      options,
    );
  }

  async listInstances(
    entity: CompoundEntityRef,
    query?: PageOptions & {
      environment?: string;
      rule?: DriftRule;
      state?: string;
    },
    options?: ImmutableInfraRequestOptions,
  ): Promise<InstancePage> {
    return this.get(
      instancePageSchema,
      `/entities/${entityPath(entity)}/instances${queryString({ ...query })}`,
      options,
    );
  }

  async getImageAge(
    entity: CompoundEntityRef,
    options?: ImmutableInfraRequestOptions,
  ): Promise<ImageAgeResponse> {
    return this.get(
      imageAgeResponseSchema,
      `/entities/${entityPath(entity)}/image-age`,
      options,
    );
  }

  async getBlastRadius(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<BlastRadius> {
    return this.get(
      blastRadiusSchema,
      `/images/${encodeURIComponent(id)}/blast-radius`,
      options,
    );
  }

  async syncFleet(
    request: { entityRef?: string },
    options?: ImmutableInfraRequestOptions,
  ): Promise<SyncResponse> {
    return this.send(syncResponseSchema, 'POST', '/sync', request, options);
  }

  async listAuditEvents(
    entity: CompoundEntityRef,
    page?: PageOptions,
    options?: ImmutableInfraRequestOptions,
  ): Promise<AuditEventPage> {
    return this.get(
      auditEventPageSchema,
      `/entities/${entityPath(entity)}/audit${queryString({ ...page })}`,
      options,
    );
  }

  async createRollout(
    request: CreateRolloutRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<CreateRolloutResponse> {
    return this.send(
      createRolloutResponseSchema,
      'POST',
      '/rollouts',
      request,
      options,
    );
  }

  async getRollout(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Rollout> {
    return this.get(
      rolloutSchema,
      `/rollouts/${encodeURIComponent(id)}`,
      options,
    );
  }

  async controlRollout(
    id: string,
    action: RolloutAction,
    request: RolloutPromoteRequest = {},
    options?: ImmutableInfraRequestOptions,
  ): Promise<Rollout> {
    return this.send(
      rolloutSchema,
      'POST',
      `/rollouts/${encodeURIComponent(id)}/${action}`,
      request,
      options,
    );
  }

  async listEntityRollouts(
    entity: CompoundEntityRef,
    page?: PageOptions,
    options?: ImmutableInfraRequestOptions,
  ): Promise<RolloutPage> {
    return this.get(
      rolloutPageSchema,
      `/entities/${entityPath(entity)}/rollouts${queryString({ ...page })}`,
      options,
    );
  }

  async getAdoption(
    request: AdoptionViewRequest = {},
    options?: ImmutableInfraRequestOptions,
  ): Promise<AdoptionResponse> {
    return this.get(
      adoptionResponseSchema,
      `/adoption${queryString(adoptionQueryParams(request))}`,
      options,
    );
  }

  async getAdoptionHistory(
    request: AdoptionViewRequest & { days?: number } = {},
    options?: ImmutableInfraRequestOptions,
  ): Promise<AdoptionHistoryResponse> {
    return this.get(
      adoptionHistoryResponseSchema,
      `/adoption/history${queryString(adoptionQueryParams(request))}`,
      options,
    );
  }

  async getAdoptionCsv(
    request: AdoptionViewRequest = {},
    options?: ImmutableInfraRequestOptions,
  ): Promise<string> {
    const response = await this.fetch(
      `/adoption.csv${queryString(adoptionQueryParams(request))}`,
      { method: 'GET' },
      { ...options, accept: 'text/csv' },
    );
    return response.text();
  }

  async listInitiatives(
    options?: ImmutableInfraRequestOptions,
  ): Promise<Initiative[]> {
    return (await this.get(initiativeListSchema, '/initiatives', options))
      .items;
  }

  async getInitiative(
    id: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<InitiativeDetail> {
    return this.get(
      initiativeDetailSchema,
      `/initiatives/${encodeURIComponent(id)}`,
      options,
    );
  }

  async createInitiative(
    request: CreateInitiativeRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Initiative> {
    return this.send(
      initiativeSchema,
      'POST',
      '/initiatives',
      request,
      options,
    );
  }

  async updateInitiative(
    id: string,
    change: UpdateInitiativeRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<Initiative> {
    return this.send(
      initiativeSchema,
      'PATCH',
      `/initiatives/${encodeURIComponent(id)}`,
      change,
      options,
    );
  }

  private get<T extends z.ZodType>(
    schema: T,
    path: string,
    options?: ImmutableInfraRequestOptions,
  ): Promise<z.infer<T>> {
    return this.request(schema, path, { method: 'GET' }, options);
  }

  private send<T extends z.ZodType>(
    schema: T,
    method: 'POST' | 'PUT' | 'PATCH',
    path: string,
    body: unknown,
    options?: ImmutableInfraRequestOptions,
  ): Promise<z.infer<T>> {
    return this.request(
      schema,
      path,
      { method, body: JSON.stringify(body) },
      options,
    );
  }

  private async request<T extends z.ZodType>(
    schema: T,
    path: string,
    init: RequestInit,
    options?: ImmutableInfraRequestOptions,
  ): Promise<z.infer<T>> {
    const response = await this.fetch(path, init, options);
    return schema.parse(await response.json());
  }

  /** A call of the backend; an error answer throws its ResponseError. */
  private async fetch(
    path: string,
    init: RequestInit,
    options?: ImmutableInfraRequestOptions & { accept?: string },
  ): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl(
      IMMUTABLE_INFRA_PLUGIN_ID,
    );
    const headers: Record<string, string> = {
      Accept: options?.accept ?? 'application/json',
    };
    if (init.body) {
      headers['Content-Type'] = 'application/json';
    }
    if (options?.token) {
      headers.Authorization = `Bearer ${options.token}`;
    }
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      ...init,
      headers,
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }
}
