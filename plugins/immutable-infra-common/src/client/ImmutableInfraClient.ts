import { CompoundEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { z } from 'zod';
import {
  EnrollRequest,
  EnrollResponse,
  enrollResponseSchema,
  EntitySummary,
  entitySummarySchema,
} from '../schemas';

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
    const path = [entity.kind, entity.namespace, entity.name]
      .map(encodeURIComponent)
      .join('/');
    return this.request(
      entitySummarySchema,
      `/entities/${path}/summary`,
      { method: 'GET' },
      options,
    );
  }

  async enroll(
    request: EnrollRequest,
    options?: ImmutableInfraRequestOptions,
  ): Promise<EnrollResponse> {
    return this.request(
      enrollResponseSchema,
      '/families',
      { method: 'POST', body: JSON.stringify(request) },
      options,
    );
  }

  private async request<T extends z.ZodType>(
    schema: T,
    path: string,
    init: RequestInit,
    options?: ImmutableInfraRequestOptions,
  ): Promise<z.infer<T>> {
    const baseUrl = await this.discoveryApi.getBaseUrl(
      IMMUTABLE_INFRA_PLUGIN_ID,
    );
    const headers: Record<string, string> = { Accept: 'application/json' };
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
    return schema.parse(await response.json());
  }
}
