/**
 * Dialog definitions from the registry: the active version when a session starts (asked each
 * time, so an activation counts at once), and compiled versions by number, kept in memory
 * because versions never change. A session keeps the version it started with.
 */
import { Injectable } from '@nestjs/common';
import type { ServiceCredential } from '@flowline/auth';
import { ProcessCategory } from '@flowline/contracts';
import type { CompiledDefinition } from '@flowline/process-model';
import { createGrpcClient, FlowlineError, ProtoFiles, RpcCallError, type GrpcClientHandle, type RegistryProto } from '@flowline/rpc';
import { SERVICE } from '../config';
import { SessionErrorCode as Code } from '../sessions/session.errors';

export interface DialogRef {
  id?: string;
  uniqueName?: string;
}

export interface DialogVersion {
  definitionId: string;
  uniqueName: string;
  name: string;
  version: number;
  primaryEntity: string;
  compiled: CompiledDefinition;
}

const describe = (ref: DialogRef): string => ref.uniqueName ?? ref.id ?? '';

@Injectable()
export class DialogDefinitions {
  private readonly cache = new Map<string, CompiledDefinition>();
  private handle: GrpcClientHandle<RegistryProto.ProcessDefinitionServiceClient> | undefined;
  private credential: ServiceCredential | undefined;

  configure(registryAddress: string, credential: ServiceCredential): void {
    this.credential = credential;
    this.handle = createGrpcClient(ProtoFiles.registry, 'flowline.registry.v1.ProcessDefinitionService', {
      address: registryAddress,
      defaultDeadlineMs: 10_000,
    });
  }

  private async fetch(ref: DialogRef, version: number): Promise<RegistryProto.DefinitionVersion> {
    if (!this.handle || !this.credential) throw new Error('DialogDefinitions.configure was not called');
    const token = await this.credential.token().catch((error: unknown) => {
      throw new FlowlineError(
        'UNAVAILABLE',
        Code.RegistryUnavailable,
        `${SERVICE.name} has no token to call the registry with (${error instanceof Error ? error.message : String(error)}): try again shortly`,
      );
    });
    try {
      return await this.handle.client.getDefinitionVersion(
        { ref: { id: ref.id ?? '', uniqueName: ref.uniqueName ?? '' }, version },
        { metadata: { authorization: `Bearer ${token}` } },
      );
    } catch (error) {
      if (!(error instanceof RpcCallError)) throw error;
      if (error.grpcCode === 5)
        throw new FlowlineError('NOT_FOUND', Code.DialogNotFound, `no dialog '${describe(ref)}': check its id or unique name`);
      if (error.grpcCode === 9)
        throw new FlowlineError(
          'FAILED_PRECONDITION',
          Code.DialogNotActivated,
          `dialog '${describe(ref)}' is not activated: an author must activate it before it can run`,
        );
      if (error.grpcCode === 3)
        throw new FlowlineError('INVALID_ARGUMENT', Code.InvalidRequest, error.message.replace(/^[^:]+ failed: /, ''), [
          { field: 'dialog', description: 'expected a dialog id (UUID) or unique name' },
        ]);
      throw new FlowlineError('UNAVAILABLE', Code.RegistryUnavailable, `the registry did not answer (${error.message}): try again shortly`);
    }
  }

  private compiledOf(found: RegistryProto.DefinitionVersion): CompiledDefinition {
    const key = `${found.definitionId}@${found.version}`;
    let compiled = this.cache.get(key);
    if (!compiled) {
      compiled = JSON.parse(found.compiled) as CompiledDefinition;
      this.cache.set(key, compiled);
    }
    return compiled;
  }

  /** The active version of a dialog; refused when the definition is a workflow. */
  async active(ref: DialogRef): Promise<DialogVersion> {
    const found = await this.fetch(ref, 0);
    if (found.category !== ProcessCategory.Dialog) {
      throw new FlowlineError(
        'INVALID_ARGUMENT',
        Code.NotADialog,
        `'${found.uniqueName}' is a workflow, not a dialog: people cannot run it`,
        [{ field: 'dialog', description: 'expected a dialog' }],
      );
    }
    const compiled = this.compiledOf(found);
    return {
      definitionId: found.definitionId,
      uniqueName: found.uniqueName,
      name: compiled.definition.name,
      version: found.version,
      primaryEntity: found.primaryEntity,
      compiled,
    };
  }

  /** A version a session already runs. */
  async version(definitionId: string, version: number): Promise<CompiledDefinition> {
    const cached = this.cache.get(`${definitionId}@${version}`);
    if (cached) return cached;
    return this.compiledOf(await this.fetch({ id: definitionId }, version));
  }

  close(): void {
    this.handle?.close();
  }
}
