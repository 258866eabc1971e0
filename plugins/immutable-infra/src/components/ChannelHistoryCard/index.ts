export { ChannelHistoryCard } from './ChannelHistoryCard';
