/**
 * The Immutable Infra backend plugin.
 *
 * @packageDocumentation
 */

export { immutableInfraPlugin as default } from './plugin';
