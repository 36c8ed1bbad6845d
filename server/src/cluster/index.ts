export {
  ClusterBus,
  type ClusterLog,
  type ClusterOptions,
  type ClusterStatus,
  type LocalNodeInfo,
} from './cluster-bus.js';
export type { DurableChange } from './durable-directory.js';
export type { ClusterMessage } from './envelope.js';
export { ClusterError, redisUnavailable } from './errors.js';
export type { HistoryEntry } from './history-streams.js';
export type { StreamMessage } from './queue-streams.js';
export { maskRedisUrl, parseRedisUrl } from './redis-url.js';
export type { TopicSink } from './topic-bus.js';
