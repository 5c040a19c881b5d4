/** Inbound webhook triggers: `POST /api/v1/hooks/{path}` for active workflows with an `on: webhook` trigger. */
import { Module, type DynamicModule } from '@nestjs/common';
import { WebhookDirectory } from './webhook-directory';
import { WebhooksHttpController } from './webhooks.http.controller';
import { WEBHOOK_OPTIONS, WebhooksService, type WebhookOptions } from './webhooks.service';

@Module({})
export class WebhooksModule {
  static forRoot(options: WebhookOptions): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [WebhooksHttpController],
      providers: [{ provide: WEBHOOK_OPTIONS, useValue: options }, WebhookDirectory, WebhooksService],
    };
  }
}
