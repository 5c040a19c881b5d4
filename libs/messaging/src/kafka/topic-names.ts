/**
 * Topic and consumer-group names as a deployment sees them: the contract names, behind an
 * optional prefix (KAFKA_TOPIC_PREFIX) so that test runs and side-by-side environments on one
 * cluster never share state.
 */
import type { TopicName } from '@flowline/contracts';

export class TopicNames {
  constructor(readonly prefix = '') {}

  topic(name: TopicName | string): string {
    return `${this.prefix}${name}`;
  }

  group(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** The contract name of a prefixed topic. */
  logical(physical: string): string {
    return this.prefix && physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }
}
