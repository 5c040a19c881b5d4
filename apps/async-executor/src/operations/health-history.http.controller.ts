/** REST for operators: `GET /api/v1/health/history?window=1h`, the executor's recent health (see health-history.ts). */
import { hostname } from 'node:os';
import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@flowline/auth';
import { RequireRoles } from '@flowline/service-kit';
import { HealthHistory, historyWindowMs } from './health-history';
import { HealthHistoryRoutes as R } from './health-history.http.routes';

@Controller('api/v1/health')
export class HealthHistoryHttpController {
  constructor(private readonly health: HealthHistory) {}

  @Get('history')
  @RequireRoles(Roles.operator)
  history(@Query() query: unknown) {
    const windowMs = historyWindowMs(R.history.parseQuery(query).window);
    return {
      intervalSeconds: this.health.options.sampleMs / 1000,
      since: new Date(Date.now() - windowMs).toISOString(),
      replica: hostname(),
      samples: this.health.history(windowMs),
    };
  }
}
