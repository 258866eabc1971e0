export { VersionTable } from './VersionTable';
