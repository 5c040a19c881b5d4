/**
 * `POST /api/v1/hooks/{path}`: an inbound webhook call starting the active version of the
 * workflow whose `on: webhook` trigger has this path. No Flowline token: the trigger's own
 * secret authenticates it (see webhook-request.ts). Answers 202 with the operation id at once,
 * or, with `?wait=10s` (or `Prefer: wait=10`), waits that long for the run to end and answers
 * 200 with its outcome and outputs.
 */
import { Body, Controller, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CORRELATION_ID_HEADER } from '@flowline/rpc';
import { Public } from '@flowline/service-kit';
import { GatewayRoutes as R } from '../api/gateway.http.routes';
import type { HeaderMap } from './webhook-request';
import { WebhooksService } from './webhooks.service';

@Controller('api/v1/hooks')
export class WebhooksHttpController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':path')
  @Public()
  async call(
    @Param('path') path: string,
    @Query() query: Record<string, unknown>,
    @Body() body: unknown,
    @Headers() headers: HeaderMap,
    @Req() request: Request & { rawBody?: Buffer },
    @Res() response: Response,
  ): Promise<void> {
    const { wait } = R.webhook.parseQuery(query);
    const prefer = typeof headers['prefer'] === 'string' ? headers['prefer'] : undefined;
    const answer = await this.webhooks.handle({
      path,
      headers,
      body,
      rawBody: request.rawBody ?? Buffer.alloc(0),
      ...(wait !== undefined ? { wait } : {}),
      ...(prefer !== undefined ? { prefer } : {}),
      ...(typeof headers[CORRELATION_ID_HEADER] === 'string' ? { correlationId: headers[CORRELATION_ID_HEADER] } : {}),
    });
    response.status(answer.status).json(answer.body);
  }
}
