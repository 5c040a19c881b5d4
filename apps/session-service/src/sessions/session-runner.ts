/**
 * Drives a dialog on the process-runtime interpreter from one request to the next page (or
 * to its end): feeds it the request, performs the record messages it asks for through the
 * gateway, feeds their results back, and collects what happened as log entries. Nothing here
 * touches the session's table; the use cases persist the result in one transaction.
 *
 * Idempotency: a message that changes data carries the key `<session id>:<step path>@<page
 * token>` (the interpreter's key, made unique per request by the session row version it acted
 * on). A repeated request with the same page token sends the same keys, so the gateway acts
 * once; going back and answering again acts again, as the person asked.
 */
import { Injectable } from '@nestjs/common';
import type { CompiledDefinition } from '@flowline/process-model';
import { advance, StepStatus, type Effect, type Input, type InstanceState, type Json, type StepLogEntry } from '@flowline/process-runtime';
import { FlowlineError } from '@flowline/rpc';
import { RecordGateway } from '../clients/gateway-client';
import type { SessionActionKind } from './session-action.entity';
import { isLastPage, stepAt } from './page-position';
import { SessionErrorCode as Code } from './session.errors';
import type { PageView } from './session-view';

export interface RunContext {
  sessionId: string;
  compiled: CompiledDefinition;
  /** The person acting: the gateway's initiating user. */
  actor: string;
  correlationId: string;
  /** The session row version this request acts on (0 when starting). */
  pageToken: number;
  now: () => Date;
}

export interface ActionDraft {
  kind: SessionActionKind;
  stepId: string | null;
  entity: string | null;
  recordId: string | null;
  detail: Record<string, Json>;
}

export interface Ending {
  status: 'completed' | 'canceled' | 'failed';
  message: string;
  code: string | null;
}

export interface RunResult {
  state: InstanceState;
  /** The page to show now; null when the session ended. */
  page: PageView | null;
  ending: Ending | null;
  nextDialog: string | null;
  actions: ActionDraft[];
}

export type RunOutcome = { ok: true; result: RunResult } | { ok: false; invalid: Record<string, string> };

/** Dialogs are started by a person: their record messages (and lookup searches) are first-level calls. */
export const DIALOG_DEPTH = 1;
const READS = new Set(['Retrieve', 'RetrieveMultiple']);

const action = (
  kind: SessionActionKind,
  stepId: string | null,
  detail: Record<string, Json> = {},
  entity: string | null = null,
  recordId: string | null = null,
): ActionDraft => ({
  kind,
  stepId,
  entity,
  recordId,
  detail,
});

@Injectable()
export class SessionRunner {
  constructor(private readonly gateway: RecordGateway) {}

  async run(context: RunContext, state: InstanceState | undefined, input: Input): Promise<RunOutcome> {
    const root = context.compiled.definition as unknown as Record<string, unknown>;
    const result: RunResult = { state: state as InstanceState, page: null, ending: null, nextDialog: null, actions: [] };
    let next: Input | undefined = input;
    let current = state;
    for (let guard = 0; next && guard < 1_000; guard++) {
      const advanced = advance(context.compiled, current, next);
      if (advanced.invalid) {
        if (guard === 0) return { ok: false, invalid: advanced.invalid };
        throw new Error(`the interpreter refused an effect result: ${JSON.stringify(advanced.invalid)}`);
      }
      current = advanced.state;
      result.state = current;
      next = undefined;
      result.actions.push(...this.variablesAssigned(root, advanced.log, current));
      for (const effect of advanced.effects) next = (await this.handle(context, root, effect, current, result)) ?? next;
    }
    return { ok: true, result };
  }

  /** Performs or records one effect; returns the input that feeds a performed effect's result back. */
  private async handle(
    context: RunContext,
    root: Record<string, unknown>,
    effect: Effect,
    state: InstanceState,
    result: RunResult,
  ): Promise<Input | undefined> {
    const now = () => context.now().toISOString();
    switch (effect.type) {
      case 'showPage': {
        const page: PageView = {
          id: effect.stepId,
          title: effect.title,
          prompts: effect.prompts,
          canGoBack: effect.canGoBack,
          last: state.page ? isLastPage(root, state.page.path) : true,
        };
        result.page = page;
        result.actions.push(action('pageShown', effect.stepId, { title: effect.title }));
        return undefined;
      }
      case 'linkChildDialog':
        result.nextDialog = effect.dialog;
        result.actions.push(action('childDialogLinked', effect.stepId, { dialog: effect.dialog }));
        return undefined;
      case 'complete':
        result.page = null;
        result.ending = { status: effect.outcome === 'canceled' ? 'canceled' : 'completed', message: effect.message, code: null };
        result.actions.push(action(result.ending.status, null, { message: effect.message }));
        return undefined;
      case 'fail':
        result.page = null;
        result.ending = { status: 'failed', message: effect.message, code: effect.code };
        result.actions.push(action('failed', null, { code: effect.code, message: effect.message }));
        return undefined;
      case 'executeMessage':
        return this.execute(context, effect, result, now);
      case 'startChild':
      case 'customActivity':
        return {
          type: 'effectResult',
          effectId: effect.effectId,
          ok: false,
          error: { code: 'UNSUPPORTED_IN_DIALOG', message: `a dialog cannot run a '${effect.type}' step: only workflows can` },
          now: now(),
        };
      case 'wait':
      case 'paused':
        result.page = null;
        result.ending = {
          status: 'failed',
          message: `step '${effect.stepId}' waits, which a dialog cannot: a person is answering it`,
          code: 'UNSUPPORTED_STEP',
        };
        result.actions.push(action('failed', effect.stepId, { code: 'UNSUPPORTED_STEP', message: result.ending.message }));
        return undefined;
    }
  }

  private async execute(
    context: RunContext,
    effect: Extract<Effect, { type: 'executeMessage' }>,
    result: RunResult,
    now: () => string,
  ): Promise<Input> {
    const read = READS.has(effect.message);
    const outcome = await this.gateway.execute({
      message: effect.message,
      entity: effect.entity,
      ...(effect.recordId ? { recordId: effect.recordId } : {}),
      target: effect.target,
      ...(effect.operations ? { operations: effect.operations } : {}),
      parameters: effect.parameters,
      idempotencyKey: read ? '' : `${effect.idempotencyKey}@${context.pageToken}`,
      depth: DIALOG_DEPTH,
      correlationId: context.correlationId,
      initiatingUserId: context.actor,
    });
    if (!outcome.ok) {
      if (outcome.transient) {
        // Nothing of this request is saved: the same request again sends the same keys and acts once.
        throw new FlowlineError(
          'UNAVAILABLE',
          Code.GatewayUnavailable,
          `the gateway could not ${effect.message} ${effect.entity} (${outcome.code}: ${outcome.message}); nothing was saved: try again`,
        );
      }
      return {
        type: 'effectResult',
        effectId: effect.effectId,
        ok: false,
        error: { code: outcome.code, message: outcome.message },
        now: now(),
      };
    }
    const replayed = outcome.replayed;
    switch (effect.message) {
      case 'RetrieveMultiple':
        result.actions.push(
          action(
            'recordsQueried',
            effect.stepId,
            { count: outcome.records?.length ?? 0, conditions: (effect.parameters['conditions'] ?? []) as Json },
            effect.entity,
          ),
        );
        break;
      case 'Create':
        result.actions.push(action('recordCreated', effect.stepId, { values: effect.target, replayed }, effect.entity, outcome.id));
        break;
      case 'Update':
        result.actions.push(
          action(
            'recordUpdated',
            effect.stepId,
            { values: effect.target, ...(effect.operations ? { operations: effect.operations as unknown as Json } : {}), replayed },
            effect.entity,
            outcome.id,
          ),
        );
        break;
      default:
        result.actions.push(
          action(
            'recordMessage',
            effect.stepId,
            { message: effect.message, parameters: effect.parameters, replayed },
            effect.entity,
            outcome.id || null,
          ),
        );
    }
    return {
      type: 'effectResult',
      effectId: effect.effectId,
      ok: true,
      // The record after the message (the interpreter reads it from here on: relative updates applied by the gateway).
      output: {
        id: outcome.id,
        ...(outcome.records ? { records: outcome.records as Json } : {}),
        ...(outcome.record && !read ? { record: outcome.record as Json } : {}),
      },
      now: now(),
    };
  }

  /** assignValue steps act inside the interpreter: the step log names them, the state holds the value. */
  private variablesAssigned(root: Record<string, unknown>, log: StepLogEntry[], state: InstanceState): ActionDraft[] {
    return log
      .filter((entry) => entry.type === 'assignValue' && entry.status === StepStatus.Succeeded)
      .map((entry) => {
        const step = stepAt(root, entry.path);
        const variable = String(step?.['variable'] ?? '');
        return action('variableAssigned', entry.stepId, {
          variable,
          op: String(step?.['op'] ?? 'set'),
          value: state.vars[variable] ?? null,
        });
      });
  }
}
