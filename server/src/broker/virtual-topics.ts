import type { Queue } from './queue.js';

/**
 * ActiveMQ virtual topics: publishing to `/topic/VirtualTopic.Orders` also
 * fills every `/queue/Consumer.<group>.VirtualTopic.Orders`, so each
 * consumer group load-balances its own copy of the topic's messages.
 */
export class VirtualTopics {
  private readonly topicPrefix: string;
  /** The consumer queue prefix split on `.`, `*` standing for one segment. */
  private readonly consumerSegments: string[];
  private readonly queuesByTopic = new Map<string, Set<Queue>>();

  constructor(topicPrefix: string, consumerQueuePrefix: string) {
    this.topicPrefix = topicPrefix;
    const segments = consumerQueuePrefix.split('.');
    // 'Consumer.*.' splits into ['Consumer', '*', '']: the trailing empty segment is the separator.
    if (segments.at(-1) === '') segments.pop();
    this.consumerSegments = segments;
  }

  get enabled(): boolean {
    return this.topicPrefix !== '';
  }

  /** The virtual topic a queue consumes from, or null when its name is not a consumer queue. */
  topicOf(queueName: string): string | null {
    if (!this.enabled) return null;
    const segments = queueName.split('.');
    if (segments.length <= this.consumerSegments.length) return null;
    for (let i = 0; i < this.consumerSegments.length; i++) {
      const want = this.consumerSegments[i]!;
      if (want !== '*' && want !== segments[i]) return null;
    }
    const topic = segments.slice(this.consumerSegments.length).join('.');
    return topic.startsWith(this.topicPrefix) ? topic : null;
  }

  /** A queue was created: register it if it consumes a virtual topic. Returns whether it does. */
  register(queue: Queue): boolean {
    const topic = this.topicOf(queue.name);
    if (topic === null) return false;
    let queues = this.queuesByTopic.get(topic);
    if (queues === undefined) {
      queues = new Set();
      this.queuesByTopic.set(topic, queues);
    }
    queues.add(queue);
    return true;
  }

  /** The consumer queues of topic `name` (none unless it is a virtual topic with consumers). */
  queuesFor(name: string): ReadonlySet<Queue> | undefined {
    if (!this.enabled || !name.startsWith(this.topicPrefix)) return undefined;
    return this.queuesByTopic.get(name);
  }
}
