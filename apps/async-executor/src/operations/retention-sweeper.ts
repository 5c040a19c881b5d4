/**
 * Deletes Completed operations older than OPERATION_RETENTION_DAYS once an hour (and shortly
 * after start). Every replica may run it: the deletes are idempotent and batched.
 */
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { OperationCommands } from './operation-commands.service';

const HOUR = 3_600_000;

@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly commands: OperationCommands) {}

  onApplicationBootstrap(): void {
    const sweep = () =>
      this.commands
        .deleteCompleted(undefined)
        .catch((error: unknown) => this.logger.warn({ err: String(error) }, 'retention sweep failed; next try in an hour'));
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        void sweep().finally(() => schedule(HOUR));
      }, delay);
      this.timer.unref();
    };
    schedule(60_000);
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }
}
