/** Liveness, readiness and Prometheus metrics endpoints every service serves. */
import { Controller, Get, Header, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { ReadinessRegistry } from './readiness.registry';
import { Public } from '../auth/auth.guard';
import { METRICS_REGISTRY, SERVICE_NAME } from './tokens';

@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(METRICS_REGISTRY) private readonly metrics: Registry,
    @Inject(SERVICE_NAME) private readonly serviceName: string,
  ) {}

  @Get('health/live')
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.serviceName };
  }

  @Get('health/ready')
  async ready(@Res() response: Response): Promise<void> {
    const report = await this.readiness.report();
    response
      .status(report.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      // The pid lets a supervisor (the launcher) tell its own child from another process on the port.
      .json({ status: report.ready ? 'ok' : 'unavailable', service: this.serviceName, pid: process.pid, checks: report.checks });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.metrics();
  }
}
