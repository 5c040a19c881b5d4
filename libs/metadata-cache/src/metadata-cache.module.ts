/**
 * Nest wiring of the metadata cache: loads in the background at start (retrying while the
 * registry is not up yet), reports itself on readiness as `registry-metadata`, stops on
 * shutdown. The service authenticates to the registry with its own credential (SERVICE_CREDENTIAL).
 */
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SERVICE_CREDENTIAL, type ServiceCredential } from '@flowline/auth';
import { RegistryChangeSchema, Topics } from '@flowline/contracts';
import { ConsumerRunner, EnvelopeProducer, KAFKA, kafkaLog, PermanentMessageError, TopicNames, type Kafka } from '@flowline/messaging';
import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS_REGISTRY, ReadinessRegistry } from '@flowline/service-kit';
import { MetadataCache } from './metadata-cache';

export interface MetadataCacheModuleOptions {
  serviceName: string;
  registryAddress: string;
  refreshIntervalMs?: number;
}

const OPTIONS = Symbol('METADATA_CACHE_OPTIONS');

@Injectable()
class MetadataCacheLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MetadataCache');
  private stopped = false;
  private lastError = 'not loaded yet';
  private changes: ConsumerRunner | undefined;

  constructor(
    private readonly cache: MetadataCache,
    private readonly readiness: ReadinessRegistry,
    @Inject(OPTIONS) private readonly options: MetadataCacheModuleOptions,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly names: TopicNames,
    private readonly producer: EnvelopeProducer,
    @Inject(METRICS_REGISTRY) private readonly metrics: Registry,
  ) {}

  /** Hit ratio, refreshes and version, read from the cache when Prometheus scrapes. */
  private registerMetrics(): void {
    const cache = this.cache;
    new Counter({
      name: 'flowline_metadata_cache_lookups_total',
      help: 'Metadata cache lookups by result (hit: answered from the snapshot; miss: not in it, refreshed)',
      labelNames: ['result'],
      registers: [this.metrics],
      collect() {
        const stats = cache.getStats();
        this.reset();
        this.inc({ result: 'hit' }, stats.hits);
        this.inc({ result: 'miss' }, stats.misses);
      },
    });
    new Counter({
      name: 'flowline_metadata_cache_refreshes_total',
      help: 'Snapshots fetched from the registry',
      registers: [this.metrics],
      collect() {
        this.reset();
        this.inc(cache.getStats().refreshes);
      },
    });
    new Gauge({
      name: 'flowline_metadata_cache_version',
      help: 'Metadata version the cache holds',
      registers: [this.metrics],
      collect() {
        this.set(Number(cache.version));
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.registerMetrics();
    this.readiness.register('registry-metadata', async () => {
      if (!this.cache.ready) throw new Error(`metadata from ${this.options.registryAddress} not loaded: ${this.lastError}`);
    });
    // Every instance hears every change: one consumer group per process. It reads from the start
    // of the topic: old announcements cost a version comparison each, and nothing sent while the
    // consumer was still joining is missed.
    this.changes = new ConsumerRunner({
      kafka: this.kafka,
      groupId: this.names.group(`flowline.${this.options.serviceName}.metadata-cache.${randomUUID()}`),
      topics: [this.names.topic(Topics.registryChanges)],
      deadLetterTopic: this.names.topic(Topics.deadLetter),
      deadLetters: this.producer,
      log: kafkaLog(this.logger),
      fromBeginning: true,
      handler: async (envelope) => {
        const change = RegistryChangeSchema.safeParse(envelope.payload);
        if (!change.success)
          throw new PermanentMessageError(
            `not a registry change: ${change.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
          );
        if (this.cache.ready) await this.cache.notifyChange(change.data);
      },
    });
    await this.changes.start();
    void this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.cache.start();
        this.logger.log(`metadata loaded from ${this.options.registryAddress} at version ${this.cache.version}`);
        return;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        if (attempt === 1 || attempt % 10 === 0) this.logger.warn(`registry not reachable yet (attempt ${attempt}): ${this.lastError}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * attempt, 2_000)));
      }
    }
  }

  /** Finishes the message in flight while the database and producer are still there. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.changes?.stop();
    this.cache.stop();
  }
}

@Module({})
export class MetadataCacheModule {
  static forRoot(options: MetadataCacheModuleOptions): DynamicModule {
    return {
      module: MetadataCacheModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: options },
        {
          provide: MetadataCache,
          inject: [SERVICE_CREDENTIAL],
          useFactory: (credential: ServiceCredential) => {
            const logger = new Logger('MetadataCache');
            return new MetadataCache({
              registryAddress: options.registryAddress,
              token: () => credential.token(),
              refreshIntervalMs: options.refreshIntervalMs ?? 30_000,
              onRefresh: (event) =>
                logger.debug(`metadata refreshed to version ${event.version} (${event.reason}, ${event.durationMs} ms)`),
              onError: (error) => logger.warn(`metadata refresh failed: ${String(error)}`),
            });
          },
        },
        MetadataCacheLifecycle,
      ],
      exports: [MetadataCache],
    };
  }
}
