export { immutableInfraApiRef } from './immutableInfraApiRef';
