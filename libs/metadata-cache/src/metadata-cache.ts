/**
 * The metadata cache each service keeps of the registry: one consistent snapshot (entities,
 * step registrations, active definition versions) fetched over gRPC, refreshed when a
 * registry change announces a newer version, and on a short safety interval in case a change
 * message was missed. Lookups count hits and misses; a miss refreshes once before answering.
 */
import type { EntityMetadata, RegistryChange } from '@flowline/contracts';
import { DependencyUnavailable } from '@flowline/service-kit';
import { createGrpcClient, ProtoFiles, RegistryProto, type GrpcClientHandle } from '@flowline/rpc';
import { resolveSubscriptions, type ActiveWorkflow, type Resolution } from './subscription-resolution';
import { entityFromProto } from './entity-from-proto';

export interface MetadataCacheOptions {
  registryAddress: string;
  /** A token with the `service` role (a function, so it can be renewed). */
  token: () => string | Promise<string>;
  /** Safety refresh interval; default 30 s. */
  refreshIntervalMs?: number;
  onRefresh?: (event: { version: string; reason: string; durationMs: number }) => void;
  onError?: (error: unknown) => void;
}

export interface CacheStats {
  hits: number;
  misses: number;
  refreshes: number;
  version: string;
}

interface Loaded {
  version: bigint;
  entities: Map<string, EntityMetadata>;
  steps: RegistryProto.StepRegistration[];
  stepsById: Map<string, RegistryProto.StepRegistration>;
  workflows: ActiveWorkflow[];
  versions: Map<string, RegistryProto.DefinitionVersion>;
}

type SnapshotClient = RegistryProto.SubscriptionServiceClient;

export class MetadataCache {
  private loaded: Loaded | undefined;
  private inFlight: Promise<void> | undefined;
  private refreshAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly client: GrpcClientHandle<SnapshotClient>;
  private readonly stats = { hits: 0, misses: 0, refreshes: 0 };

  constructor(private readonly options: MetadataCacheOptions) {
    this.client = createGrpcClient<SnapshotClient>(ProtoFiles.registry, 'flowline.registry.v1.SubscriptionService', {
      address: options.registryAddress,
    });
  }

  async start(): Promise<void> {
    await this.refresh('start');
    this.timer = setInterval(() => {
      this.refresh('safety interval').catch((error: unknown) => this.options.onError?.(error));
    }, this.options.refreshIntervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.client.close();
  }

  get version(): string {
    return String(this.loaded?.version ?? 0n);
  }

  get ready(): boolean {
    return this.loaded !== undefined;
  }

  getStats(): CacheStats {
    return { ...this.stats, version: this.version };
  }

  /** Refreshes now; concurrent calls share one fetch, and a call during a fetch triggers one more. */
  refresh(reason: string): Promise<void> {
    if (this.inFlight) {
      this.refreshAgain = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.load(reason);
        } while (this.refreshAgain);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  private async load(reason: string): Promise<void> {
    const started = Date.now();
    const token = await this.options.token();
    const snapshot = await this.client.client.getMetadataSnapshot({}, { metadata: { authorization: `Bearer ${token}` } });
    const version = BigInt(snapshot.version || '0');
    if (this.loaded && version < this.loaded.version) return; // an older answer overtaken by a newer one
    this.loaded = {
      version,
      entities: new Map(snapshot.entities.map((entity) => [entity.logicalName, entityFromProto(entity)])),
      steps: snapshot.steps,
      stepsById: new Map(snapshot.steps.map((step) => [step.id, step])),
      workflows: snapshot.activeDefinitions.map((definition) => ({
        definitionId: definition.definitionId,
        uniqueName: definition.uniqueName,
        version: definition.version,
        contentHash: definition.contentHash,
        mode: definition.mode,
        category: definition.category,
        primaryEntity: definition.primaryEntity,
        activatedOn: definition.activatedOn,
        triggers: definition.triggers,
      })),
      versions: new Map(snapshot.activeDefinitions.map((definition) => [definition.definitionId, definition])),
    };
    this.stats.refreshes += 1;
    this.options.onRefresh?.({ version: String(version), reason, durationMs: Date.now() - started });
  }

  /** A registry change was announced: refresh if it is newer than what we hold. */
  async notifyChange(change: Pick<RegistryChange, 'metadataVersion'>): Promise<void> {
    if (this.loaded && BigInt(change.metadataVersion) <= this.loaded.version) return;
    await this.refresh(`registry change ${change.metadataVersion}`);
  }

  private require(): Loaded {
    // Unavailability, not a failure of what asked: a consumer keeps its message and asks again.
    if (!this.loaded)
      throw new DependencyUnavailable('registry', 'METADATA_NOT_LOADED', 'the metadata cache is not loaded yet (the registry has not answered since start)');
    return this.loaded;
  }

  /** The entity's metadata; a miss refreshes once (it may have been created a moment ago). */
  async entity(logicalName: string): Promise<EntityMetadata | undefined> {
    const found = this.require().entities.get(logicalName);
    if (found) {
      this.stats.hits += 1;
      return found;
    }
    this.stats.misses += 1;
    await this.refresh(`miss on entity ${logicalName}`);
    return this.require().entities.get(logicalName);
  }

  entities(): EntityMetadata[] {
    return [...this.require().entities.values()];
  }

  /** Steps and workflows an event triggers, from the snapshot. */
  resolve(message: string, entity: string, changedAttributes: readonly string[]): Resolution & { metadataVersion: string } {
    const loaded = this.require();
    this.stats.hits += 1;
    return {
      ...resolveSubscriptions(loaded.steps, loaded.workflows, message, entity, changedAttributes),
      metadataVersion: String(loaded.version),
    };
  }

  step(id: string): RegistryProto.StepRegistration | undefined {
    return this.require().stepsById.get(id);
  }

  /** Every active definition version, with its compiled form. */
  activeVersions(): RegistryProto.DefinitionVersion[] {
    return [...this.require().versions.values()];
  }

  /** The active version of a definition, with its compiled form. */
  activeVersion(definitionId: string): RegistryProto.DefinitionVersion | undefined {
    return this.require().versions.get(definitionId);
  }
}
