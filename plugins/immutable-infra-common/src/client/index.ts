export {
  ImmutableInfraClient,
  IMMUTABLE_INFRA_PLUGIN_ID,
} from './ImmutableInfraClient';
export type {
  ImmutableInfraApi,
  ImmutableInfraRequestOptions,
  PageOptions,
} from './ImmutableInfraClient';
