/**
 * The rules a plug-in step registration must satisfy (the source platform's: stages, modes,
 * filtering attributes and images), as field violations with paths.
 */
import { BUILT_IN_STEP_HANDLERS, MAX_STEP_TIMEOUT_MS, PipelineStage, SdkMessage, StepMode, type EntityMetadata } from '@flowline/contracts';
import type { FieldViolation } from '@flowline/rpc';
import type { StoredHandler, StoredImage } from './step-registration.entity';

export interface StepDraft {
  name: string;
  message: string;
  primaryEntity: string;
  stage: number;
  mode: number;
  rank: number;
  filteringAttributes: string[];
  images: StoredImage[];
  handler: StoredHandler | undefined;
}

const MESSAGE_NAME = /^[A-Za-z][A-Za-z0-9_]{1,99}$/;
const STAGES = [PipelineStage.PreValidation, PipelineStage.PreOperation, PipelineStage.PostOperation];
const BUILT_INS: string[] = Object.values(BUILT_IN_STEP_HANDLERS);

export function validateStep(step: StepDraft, entity: EntityMetadata | undefined): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const add = (field: string, description: string, code = 'INVALID') => violations.push({ field: `step.${field}`, description, code });
  if (!step.name.trim()) add('name', 'a step needs a name', 'NAME_REQUIRED');
  if (!MESSAGE_NAME.test(step.message)) {
    add(
      'message',
      `expected a message name such as ${Object.values(SdkMessage).join(', ')} or a custom message, got '${step.message}'`,
      'MESSAGE_INVALID',
    );
  }
  if (step.primaryEntity && !entity) add('primaryEntity', `no entity '${step.primaryEntity}' exists`, 'UNKNOWN_ENTITY');
  if (!STAGES.includes(step.stage))
    add('stage', `expected 10 (PreValidation), 20 (PreOperation) or 40 (PostOperation), got ${step.stage}`, 'STAGE_INVALID');
  if (step.mode !== StepMode.Synchronous && step.mode !== StepMode.Asynchronous)
    add('mode', `expected 0 (synchronous) or 1 (asynchronous), got ${step.mode}`, 'MODE_INVALID');
  if (step.mode === StepMode.Asynchronous && step.stage !== PipelineStage.PostOperation) {
    add('mode', `asynchronous steps run only at stage 40 (PostOperation), not ${step.stage}`, 'ASYNC_STAGE');
  }
  if (!Number.isInteger(step.rank) || step.rank < 0) add('rank', `expected a whole number of 0 or more, got ${step.rank}`, 'RANK_INVALID');

  const attributeNames = new Set((entity?.attributes ?? []).map((attribute) => attribute.logicalName));
  const checkAttribute = (field: string, name: string) => {
    if (!entity) add(field, `attribute '${name}' needs a primary entity to belong to`, 'ENTITY_REQUIRED');
    else if (!attributeNames.has(name)) add(field, `entity '${entity.logicalName}' has no attribute '${name}'`, 'UNKNOWN_ATTRIBUTE');
  };
  if (step.filteringAttributes.length > 0 && step.message !== SdkMessage.Update) {
    add('filteringAttributes', `filtering attributes apply to Update steps only, not ${step.message}`, 'FILTERING_NOT_UPDATE');
  } else {
    step.filteringAttributes.forEach((name, index) => checkAttribute(`filteringAttributes[${index}]`, name));
  }

  const aliases = new Set<string>();
  step.images.forEach((image, index) => {
    const at = `images[${index}]`;
    if (!image.alias.trim()) add(`${at}.alias`, 'an image needs an alias', 'ALIAS_REQUIRED');
    if (aliases.has(image.alias)) add(`${at}.alias`, `the alias '${image.alias}' is used by another image of this step`, 'ALIAS_DUPLICATE');
    aliases.add(image.alias);
    const pre = image.type === 'pre' || image.type === 'both';
    const post = image.type === 'post' || image.type === 'both';
    if (pre && step.message === SdkMessage.Create)
      add(`${at}.type`, 'a Create has no pre-image: the record does not exist before it', 'NO_PRE_IMAGE');
    if (post && step.message === SdkMessage.Delete)
      add(`${at}.type`, 'a Delete has no post-image: the record is gone after it', 'NO_POST_IMAGE');
    if (post && step.stage !== PipelineStage.PostOperation)
      add(`${at}.type`, `post-images exist only at stage 40 (PostOperation), not ${step.stage}`, 'POST_IMAGE_STAGE');
    image.attributes.forEach((name, attributeIndex) => checkAttribute(`${at}.attributes[${attributeIndex}]`, name));
  });

  const handler = step.handler;
  if (!handler) add('handler', 'a step needs a handler: a webhook or a built-in handler', 'HANDLER_REQUIRED');
  else if (handler.kind === 'webhook') {
    let url: URL | undefined;
    try {
      url = new URL(handler.url);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      add('handler.webhook.url', `expected an http:// or https:// URL, got '${handler.url}'`, 'URL_INVALID');
    if (!Number.isInteger(handler.timeoutMs) || handler.timeoutMs < 1 || handler.timeoutMs > MAX_STEP_TIMEOUT_MS) {
      add(
        'handler.webhook.timeoutMs',
        `expected 1 to ${MAX_STEP_TIMEOUT_MS} ms (the 2-minute plug-in limit), got ${handler.timeoutMs}`,
        'TIMEOUT_INVALID',
      );
    }
  } else if (!BUILT_INS.includes(handler.name)) {
    add('handler.builtIn.name', `expected one of ${BUILT_INS.join(', ')}, got '${handler.name}'`, 'UNKNOWN_HANDLER');
  }
  return violations;
}
