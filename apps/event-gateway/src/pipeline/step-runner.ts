/**
 * Runs the synchronous steps of one stage in execution order. Each step sees the context as
 * the steps before it left it: target changes (stages 10 and 20), shared variables and output
 * parameters flow from one step to the next. A refusal stops the operation.
 */
import { PipelineStage, type RegistryProtoStep } from './registry-step';
import { runBuiltInStep } from './steps/built-in-steps';
import { callWebhook, StepRefusal, type ExecutionContext, type RecordImage } from '@flowline/plugin-steps';

export interface StageRun {
  context: ExecutionContext;
  /** The record as it will be (pre-image merged with the target). */
  recordAfter: () => RecordImage;
  preImage: RecordImage | null;
  postImage: RecordImage | null;
}

function pick(record: RecordImage | null, attributes: string[]): RecordImage | undefined {
  if (!record) return undefined;
  if (attributes.length === 0) return { ...record };
  return Object.fromEntries(attributes.filter((name) => name in record).map((name) => [name, record[name]]));
}

export function imagesFor(
  step: RegistryProtoStep,
  pre: RecordImage | null,
  post: RecordImage | null,
): { pre: Record<string, RecordImage>; post: Record<string, RecordImage> } {
  const images = { pre: {} as Record<string, RecordImage>, post: {} as Record<string, RecordImage> };
  for (const image of step.images) {
    const wantsPre = image.type === 1 || image.type === 3;
    const wantsPost = image.type === 2 || image.type === 3;
    const preImage = wantsPre ? pick(pre, image.attributes) : undefined;
    const postImage = wantsPost ? pick(post, image.attributes) : undefined;
    if (preImage) images.pre[image.alias] = preImage;
    if (postImage) images.post[image.alias] = postImage;
  }
  return images;
}

function parseConfiguration(step: RegistryProtoStep): Record<string, unknown> {
  try {
    return JSON.parse(step.unsecureConfiguration || '{}') as Record<string, unknown>;
  } catch {
    throw new StepRefusal(step.name, 'its configuration is not JSON: fix the registration');
  }
}

export async function runStage(steps: readonly RegistryProtoStep[], run: StageRun): Promise<void> {
  for (const step of steps) {
    const images = imagesFor(step, run.preImage, run.postImage);
    const context: ExecutionContext = {
      ...run.context,
      stage: step.stage,
      mode: step.mode,
      preEntityImages: images.pre,
      postEntityImages: images.post,
    };
    const outcome = step.handler?.webhook
      ? await callWebhook(
          {
            stepName: step.name,
            stepId: step.id,
            url: step.handler.webhook.url,
            timeoutMs: step.handler.webhook.timeoutMs,
            secret: step.secureConfiguration,
            unsecureConfiguration: step.unsecureConfiguration,
          },
          context,
        )
      : runBuiltInStep(step.name, step.handler?.builtIn?.name ?? '', parseConfiguration(step), context, run.recordAfter());
    if (outcome.targetChanges && Object.keys(outcome.targetChanges).length > 0) {
      if (step.stage === PipelineStage.PostOperation)
        throw new StepRefusal(step.name, 'a stage-40 step cannot change the target: the operation is done');
      run.context.inputParameters.Target = { ...(run.context.inputParameters.Target ?? {}), ...outcome.targetChanges };
    }
    Object.assign(run.context.sharedVariables, outcome.sharedVariables ?? {});
    Object.assign(run.context.outputParameters, outcome.outputParameters ?? {});
  }
}
