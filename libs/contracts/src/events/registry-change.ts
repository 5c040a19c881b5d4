/**
 * `flowline.registry-changes.v1`: one message per change of metadata, definitions or step
 * registrations, keyed by the changed item's id. Caches compare `metadataVersion` with theirs
 * and refresh when they are behind.
 */
import { z } from 'zod';

export const REGISTRY_CHANGE_TYPE = 'registry.change';
export const REGISTRY_CHANGE_SCHEMA_VERSION = 1;

export const RegistryChangeSchema = z.object({
  kind: z.enum(['entity', 'definition', 'step']),
  action: z.enum(['created', 'updated', 'deleted', 'activated', 'deactivated']),
  /** Entity logical name, definition id or step id. */
  id: z.string().min(1),
  /** The registry's metadata version after this change (a decimal integer string). */
  metadataVersion: z.string().regex(/^\d+$/),
  /** For definitions: the version activated or deactivated. */
  definitionVersion: z.number().int().positive().optional(),
  uniqueName: z.string().optional(),
});

export type RegistryChange = z.infer<typeof RegistryChangeSchema>;
