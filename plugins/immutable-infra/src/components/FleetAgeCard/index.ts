export { FleetAgeCard } from './FleetAgeCard';
