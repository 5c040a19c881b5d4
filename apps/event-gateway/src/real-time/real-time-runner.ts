/** Runs real-time workflows for the pipeline, with their metric and log lines. */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import { FlowlineError } from '@flowline/rpc';
import { METRICS_REGISTRY } from '@flowline/service-kit';
import { REAL_TIME_REFUSED, runRealTimeWorkflow, type RealTimeOutcome, type RealTimeRun } from './real-time-run';
import type { RealTimeWorkflow } from './real-time-workflows';

const tracer = trace.getTracer('flowline.event-gateway');

@Injectable()
export class RealTimeRunner {
  private readonly logger = new Logger('RealTimeWorkflows');
  private readonly runs: Counter<'stage' | 'outcome'>;
  /** Refusals already counted: one from a deeper workflow passes through every level above it. */
  private readonly reported = new WeakSet<Error>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.runs = new Counter({
      name: 'flowline_gateway_realtime_workflow_runs_total',
      help: 'Real-time workflow runs inside the pipeline, by stage and outcome (succeeded, refused: the operation was rolled back)',
      labelNames: ['stage', 'outcome'],
      registers: [registry],
    });
  }

  /** One span per run: the record steps it performs through the pipeline are inside it. */
  run(workflow: RealTimeWorkflow, context: RealTimeRun): Promise<RealTimeOutcome> {
    return tracer.startActiveSpan(
      `real-time ${workflow.uniqueName}`,
      {
        attributes: {
          'flowline.definition.id': workflow.definitionId,
          'flowline.definition.version': workflow.version,
          'flowline.stage': context.stage,
          'flowline.correlation_id': context.correlationId,
        },
      },
      async (span) => {
        try {
          return await this.runMeasured(workflow, context);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async runMeasured(workflow: RealTimeWorkflow, context: RealTimeRun): Promise<RealTimeOutcome> {
    const labels = { stage: String(context.stage) };
    const fields = {
      workflow: workflow.uniqueName,
      stage: context.stage,
      recordId: context.recordId,
      correlationId: context.correlationId,
    };
    try {
      const outcome = await runRealTimeWorkflow(workflow, context);
      this.runs.inc({ ...labels, outcome: 'succeeded' });
      this.logger.debug(
        { ...fields, steps: outcome.steps },
        `real-time workflow ${workflow.uniqueName} ran at stage ${context.stage} of ${context.message} ${context.entity}`,
      );
      return outcome;
    } catch (error) {
      if (error instanceof FlowlineError && error.code === REAL_TIME_REFUSED && !this.reported.has(error)) {
        this.reported.add(error);
        this.runs.inc({ ...labels, outcome: 'refused' });
        this.logger.log(fields, `${error.message}: the operation was rolled back`);
      }
      throw error;
    }
  }
}
