/**
 * What the registry needs of the process language (libs/process-model): parse authored text,
 * validate against the entity metadata, and compile to the immutable executable form with
 * its content hash and the triggers the subscriptions are resolved from.
 */
import type { EntityMetadata } from '@flowline/contracts';
import type { FieldViolation } from '@flowline/rpc';
import type { StoredTrigger } from './definition-version.entity';

export interface DefinitionHeader {
  uniqueName: string;
  name: string;
  description: string;
  /** 0 workflow, 1 dialog. */
  category: number;
  primaryEntity: string;
}

export interface CompiledDefinitionForRegistry {
  compiled: Record<string, unknown>;
  contentHash: string;
  /** 0 background, 1 real-time. */
  mode: number;
  triggers: StoredTrigger[];
  referencedEntities: string[];
  /** unique names of the child workflows or dialogs it starts. */
  children: string[];
  /** The path of its inbound webhook endpoint, when it has a webhook trigger: one active definition per path. */
  webhookPath?: string;
}

export type ParseResult = { ok: true; definition: Record<string, unknown> } | { ok: false; violations: FieldViolation[] };

export interface ProcessLanguage {
  /** `export`: an export document of several definitions, with the larger limits of one. */
  parse(text: string, format: 'json' | 'yaml', kind?: 'definition' | 'export'): ParseResult;
  /** Header fields of a definition that parsed (may be partial when it is invalid). */
  header(definition: Record<string, unknown>): DefinitionHeader;
  validate(definition: Record<string, unknown>, metadata: readonly EntityMetadata[]): FieldViolation[];
  /** The unique names of the workflows and dialogs a definition starts or links to. */
  childNames(definition: Record<string, unknown>): string[];
  /** Its startChild and linkChildDialog steps checked against the definitions they name (as stored, by unique name). */
  checkChildren(definition: Record<string, unknown>, children: ReadonlyMap<string, Record<string, unknown>>): FieldViolation[];
  compile(definition: Record<string, unknown>, metadata: readonly EntityMetadata[]): CompiledDefinitionForRegistry;
  /** Serialises a definition for export. */
  serialize(definition: Record<string, unknown>, format: 'json' | 'yaml'): string;
}

export const PROCESS_LANGUAGE = Symbol('PROCESS_LANGUAGE');
