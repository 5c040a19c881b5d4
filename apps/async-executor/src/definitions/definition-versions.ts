/**
 * Compiled definition versions by (definition id, version), fetched from the registry once
 * and kept: versions are immutable, and a running operation keeps the version it started with
 * even after its definition is deactivated. Shared by the dispatcher (which snapshots the version
 * an operation runs), on-demand starts, and the workers (which run it and start children).
 */
import { Injectable } from '@nestjs/common';
import type { ServiceCredential } from '@flowline/auth';
import type { CompiledDefinition } from '@flowline/process-model';
import { createGrpcClient, ProtoFiles, type GrpcClientHandle, type RegistryProto } from '@flowline/rpc';

@Injectable()
export class DefinitionVersions {
  private readonly cache = new Map<string, CompiledDefinition>();
  private client: GrpcClientHandle<RegistryProto.ProcessDefinitionServiceClient> | undefined;
  private credential: ServiceCredential | undefined;

  configure(registryAddress: string, credential: ServiceCredential): void {
    this.credential = credential;
    this.client = createGrpcClient(ProtoFiles.registry, 'flowline.registry.v1.ProcessDefinitionService', { address: registryAddress });
  }

  private token(): Promise<string> {
    return this.credential!.token();
  }

  async get(definitionId: string, version: number): Promise<CompiledDefinition> {
    const key = `${definitionId}@${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const found = await this.client!.client.getDefinitionVersion(
      { ref: { id: definitionId, uniqueName: '' }, version },
      { metadata: { authorization: `Bearer ${await this.token()}` } },
    );
    const compiled = JSON.parse(found.compiled) as CompiledDefinition;
    this.cache.set(key, compiled);
    return compiled;
  }

  /** The active version of a definition named by unique name (children), or by id. */
  async active(name: string, byId = false): Promise<{ definitionId: string; version: number }> {
    const found = await this.client!.client.getDefinitionVersion(
      { ref: byId ? { id: name, uniqueName: '' } : { id: '', uniqueName: name }, version: 0 },
      { metadata: { authorization: `Bearer ${await this.token()}` } },
    );
    return { definitionId: found.definitionId, version: found.version };
  }

  close(): void {
    this.client?.close();
  }
}
