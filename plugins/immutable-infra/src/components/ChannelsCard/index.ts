export { ChannelsCard } from './ChannelsCard';
