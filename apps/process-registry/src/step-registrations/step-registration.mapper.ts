/** Between stored step registrations and the gRPC messages. The secure configuration never leaves here unless asked for by a service. */
import { DEFAULT_STEP_TIMEOUT_MS } from '@flowline/contracts';
import { RegistryProto } from '@flowline/rpc';
import type { StoredHandler, StoredImage, StepRegistrationRow } from './step-registration.entity';
import type { StepDraft } from './step-registration.validation';

const { ImageType } = RegistryProto;

const imageTypeOf = (type: RegistryProto.ImageType): StoredImage['type'] | 'unspecified' =>
  type === ImageType.IMAGE_TYPE_PRE
    ? 'pre'
    : type === ImageType.IMAGE_TYPE_POST
      ? 'post'
      : type === ImageType.IMAGE_TYPE_BOTH
        ? 'both'
        : 'unspecified';
const imageTypeToProto = (type: StoredImage['type']): RegistryProto.ImageType =>
  type === 'pre' ? ImageType.IMAGE_TYPE_PRE : type === 'post' ? ImageType.IMAGE_TYPE_POST : ImageType.IMAGE_TYPE_BOTH;

function handlerFromProto(handler: RegistryProto.StepHandler | undefined): StoredHandler | undefined {
  if (handler?.webhook)
    return { kind: 'webhook', url: handler.webhook.url, timeoutMs: handler.webhook.timeoutMs || DEFAULT_STEP_TIMEOUT_MS };
  if (handler?.builtIn) return { kind: 'builtin', name: handler.builtIn.name };
  return undefined;
}

export function draftFromProto(step: RegistryProto.StepRegistration | undefined): StepDraft & { images: StoredImage[] } {
  return {
    name: step?.name ?? '',
    message: step?.message ?? '',
    primaryEntity: step?.primaryEntity ?? '',
    stage: step?.stage ?? 0,
    mode: step?.mode ?? 0,
    rank: step?.rank ?? 0,
    filteringAttributes: [...new Set(step?.filteringAttributes ?? [])],
    images: (step?.images ?? []).map((image) => ({
      alias: image.alias,
      type: imageTypeOf(image.type) as StoredImage['type'],
      attributes: image.attributes,
    })),
    handler: handlerFromProto(step?.handler),
  };
}

export function rowToProto(row: StepRegistrationRow, options: { includeSecure?: boolean } = {}): RegistryProto.StepRegistration {
  return {
    id: row.id,
    name: row.name,
    message: row.message,
    primaryEntity: row.primaryEntity,
    stage: row.stage,
    mode: row.mode,
    rank: row.rank,
    filteringAttributes: row.filteringAttributes,
    images: row.images.map((image) => ({ alias: image.alias, type: imageTypeToProto(image.type), attributes: image.attributes })),
    handler:
      row.handler.kind === 'webhook'
        ? { webhook: { url: row.handler.url, timeoutMs: row.handler.timeoutMs } }
        : { builtIn: { name: row.handler.name } },
    enabled: row.enabled,
    unsecureConfiguration: row.unsecureConfiguration,
    secureConfiguration: options.includeSecure ? row.secureConfiguration : '',
    hasSecureConfiguration: row.secureConfiguration.length > 0,
    registeredOn: row.registeredOn.toISOString(),
    registrationSequence: row.registrationSequence,
    rowVersion: row.rowVersion,
  };
}
