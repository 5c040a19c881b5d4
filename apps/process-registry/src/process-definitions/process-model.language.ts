/** The registry's binding to libs/process-model: parse, validate and compile definitions. */
import { Injectable } from '@nestjs/common';
import { stringify } from 'yaml';
import type { EntityMetadata } from '@flowline/contracts';
import {
  checkChildren,
  childNames,
  childSummary,
  compileDefinition,
  parseSource,
  validateDefinition,
  webhookPathOf,
  type DefinitionError,
} from '@flowline/process-model';
import type { FieldViolation } from '@flowline/rpc';
import type { CompiledDefinitionForRegistry, DefinitionHeader, ParseResult, ProcessLanguage } from './process-language';

const violation = (error: DefinitionError): FieldViolation => ({ field: error.path, description: error.message, code: error.code });

@Injectable()
export class ProcessModelLanguage implements ProcessLanguage {
  parse(text: string, format: 'json' | 'yaml', kind: 'definition' | 'export' = 'definition'): ParseResult {
    const parsed = parseSource(text, format, kind);
    if (!parsed.ok) return { ok: false, violations: parsed.errors.map(violation) };
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return { ok: false, violations: [{ field: '$', description: 'a definition is an object (a mapping in YAML)', code: 'TYPE' }] };
    }
    return { ok: true, definition: parsed.value as Record<string, unknown> };
  }

  header(definition: Record<string, unknown>): DefinitionHeader {
    const text = (key: string) => (typeof definition[key] === 'string' ? (definition[key] as string) : '');
    return {
      uniqueName: text('uniqueName'),
      name: text('name'),
      description: text('description'),
      category: definition['category'] === 'dialog' ? 1 : 0,
      primaryEntity: text('primaryEntity'),
    };
  }

  validate(definition: Record<string, unknown>, metadata: readonly EntityMetadata[]): FieldViolation[] {
    return validateDefinition(definition, metadata).map(violation);
  }

  childNames(definition: Record<string, unknown>): string[] {
    return childNames(definition);
  }

  checkChildren(definition: Record<string, unknown>, children: ReadonlyMap<string, Record<string, unknown>>): FieldViolation[] {
    return checkChildren(definition, (name) => {
      const source = children.get(name);
      return source ? childSummary(source) : undefined;
    }).map(violation);
  }

  compile(definition: Record<string, unknown>, metadata: readonly EntityMetadata[]): CompiledDefinitionForRegistry {
    const compiled = compileDefinition(definition, metadata);
    const webhookPath = webhookPathOf(compiled.definition);
    return {
      compiled: JSON.parse(JSON.stringify(compiled)) as Record<string, unknown>,
      contentHash: compiled.contentHash,
      mode: compiled.definition.mode === 'realTime' ? 1 : 0,
      triggers: compiled.triggers.map((trigger) => ({
        message: trigger.message,
        entity: trigger.entity,
        attributes: [...trigger.attributes],
      })),
      referencedEntities: [...compiled.referencedEntities],
      children: [...compiled.children],
      ...(webhookPath ? { webhookPath } : {}),
    };
  }

  serialize(definition: Record<string, unknown>, format: 'json' | 'yaml'): string {
    return format === 'yaml' ? stringify(definition) : `${JSON.stringify(definition, null, 2)}\n`;
  }
}
