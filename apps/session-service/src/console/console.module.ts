/** The operator console: its page and assets at /console/, and the forwarder to the other services' APIs (docs/adr/0013). */
import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { ConsoleController } from './console.controller';
import { ConsoleForwarder } from './console-forwarder';
import { CONSOLE_SETTINGS, type ConsoleSettings } from './console.settings';
import { TracesHttpController } from './traces.http.controller';

@Module({})
export class ConsoleModule implements NestModule {
  static forRoot(settings: ConsoleSettings): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [ConsoleController, TracesHttpController],
      providers: [{ provide: CONSOLE_SETTINGS, useValue: settings }, ConsoleForwarder],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConsoleForwarder).forRoutes({ path: 'console/api/*path', method: RequestMethod.ALL });
  }
}
