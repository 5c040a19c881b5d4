/** Dialog steps: a page shown (waiting for its answers), a value assigned, a child dialog linked. */
import { withChoices, type PromptSpec } from '../answers';
import { StepStatus, type Json, type PromptView } from '../types';
import type { StepHandler } from './context';

type AuthoredPrompt = PromptSpec & { text: string; response: PromptSpec['response'] & { display?: string; default?: unknown } };

export const page: StepHandler<'page'> = (step, { path, open }, run) => {
  const prompts = (step.prompts as unknown as AuthoredPrompt[]).map((authored): PromptView => {
    const prompt = withChoices(authored, run.state.vars);
    const earlier = run.state.answers[step.id]?.[prompt.id];
    const response = prompt.response;
    return {
      id: prompt.id,
      text: String(run.resolve(prompt.text)),
      response: {
        type: response.type,
        required: response.required ?? false,
        ...(response.display ? { display: response.display } : {}),
        ...(response.options ? { options: response.options } : {}),
        ...(response.entity ? { entity: response.entity } : {}),
        ...(response.idAttribute && response.label ? { idAttribute: response.idAttribute, labelAttribute: response.label } : {}),
        ...(response.default !== undefined ? { default: run.resolve(response.default) } : {}),
      },
      ...(earlier !== undefined ? { answer: earlier } : {}),
    };
  });
  run.emit({
    type: 'showPage',
    stepId: step.id,
    title: String(run.resolve(step.title ?? '')),
    prompts,
    canGoBack: run.state.history.length > 0,
  });
  run.logStep(open, StepStatus.Waiting);
  run.state.page = { stepId: step.id, path };
  run.state.status = 'waiting';
  return 'paused';
};

const text = (value: Json | undefined): string => (value === null || value === undefined ? '' : String(value));
const number = (value: Json | undefined): number => (typeof value === 'number' ? value : Number(value ?? 0));

/** Variables are the dialog's own: assignValue computes on them here (records change only through the gateway). */
export const assignValue: StepHandler<'assignValue'> = (step, _at, run) => {
  const value = run.resolve(step.value);
  const current = run.state.vars[step.variable];
  const next = ((): Json => {
    switch (step.op) {
      case 'set':
        return value;
      case 'clear':
        return null;
      case 'append':
        return `${text(current)}${text(value)}`;
      case 'increment':
        return number(current) + number(value);
      case 'decrement':
        return number(current) - number(value);
      case 'multiply':
        return number(current) * number(value);
    }
  })();
  run.state.vars[step.variable] = next;
  return 'next';
};

export const linkChildDialog: StepHandler<'linkChildDialog'> = (step, { open }, run) => {
  run.emit({ type: 'linkChildDialog', stepId: step.id, dialog: step.dialog });
  run.logStep(open, StepStatus.Succeeded);
  return run.end({ type: 'complete', outcome: 'succeeded', message: `continues in dialog '${step.dialog}'` });
};
