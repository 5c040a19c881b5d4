/**
 * Which webhook endpoints the gateway serves: one per active workflow version whose definition
 * has an `on: webhook` trigger, at `path` (default: the unique name). They come from the
 * metadata cache, which holds every active version with its compiled form and is refreshed by
 * `flowline.registry-changes.v1` on activation and deactivation, so a deactivated workflow's
 * endpoint answers 404 as soon as the gateway has heard of it. The index is rebuilt when the
 * cache's version moves. Two active workflows claiming one path: the earlier activated keeps it.
 */
import { Injectable, Logger } from '@nestjs/common';
import { MetadataCache } from '@flowline/metadata-cache';
import type { CompiledDefinition, WebhookTrigger } from '@flowline/process-model';

export interface WebhookEndpoint {
  path: string;
  definitionId: string;
  uniqueName: string;
  version: number;
  primaryEntity: string;
  /** Who activated the version: webhook runs act as them (runAs owner). */
  activatedBy: string;
  trigger: WebhookTrigger;
  inputs: CompiledDefinition['definition']['inputs'];
}

@Injectable()
export class WebhookDirectory {
  private readonly logger = new Logger('Webhooks');
  private builtFor: string | undefined;
  private byPath = new Map<string, WebhookEndpoint>();

  constructor(private readonly metadata: MetadataCache) {}

  /** The endpoint at a path, or undefined (unknown path, or its workflow is not active). */
  find(path: string): WebhookEndpoint | undefined {
    this.rebuildIfStale();
    return this.byPath.get(path);
  }

  all(): WebhookEndpoint[] {
    this.rebuildIfStale();
    return [...this.byPath.values()];
  }

  private rebuildIfStale(): void {
    const version = this.metadata.version;
    if (version === this.builtFor) return;
    const found = new Map<string, WebhookEndpoint>();
    const versions = [...this.metadata.activeVersions()].sort((a, b) => a.activatedOn.localeCompare(b.activatedOn));
    for (const active of versions) {
      if (!active.compiled) continue;
      const compiled = JSON.parse(active.compiled) as CompiledDefinition;
      const definition = compiled.definition;
      if (definition.category !== 'workflow') continue;
      const trigger = definition.triggers.find((t): t is WebhookTrigger => t.on === 'webhook');
      if (!trigger) continue;
      const path = trigger.path ?? definition.uniqueName;
      const holder = found.get(path);
      if (holder) {
        this.logger.warn(
          { path, kept: holder.uniqueName, refused: definition.uniqueName },
          `webhook path ${path} is claimed by ${holder.uniqueName} and ${definition.uniqueName}: ${holder.uniqueName} (activated first) keeps it; give ${definition.uniqueName} another path`,
        );
        continue;
      }
      found.set(path, {
        path,
        definitionId: active.definitionId,
        uniqueName: definition.uniqueName,
        version: active.version,
        primaryEntity: definition.primaryEntity,
        activatedBy: active.activatedBy || 'system',
        trigger,
        inputs: definition.inputs,
      });
    }
    this.byPath = found;
    this.builtFor = version;
  }
}
