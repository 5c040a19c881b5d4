/** Records this process in `service_instance` at start, heart-beats it, and marks it stopped. */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Repository } from 'typeorm';
import { ServiceInstanceEntity } from './service-instance.entity';

const HEARTBEAT_MS = 10_000;

@Injectable()
export class ServiceInstanceRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly instanceId = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private readonly logger = new Logger(ServiceInstanceRegistry.name);

  constructor(
    @InjectRepository(ServiceInstanceEntity) private readonly instances: Repository<ServiceInstanceEntity>,
    @Inject('SERVICE_DATABASE_OPTIONS') private readonly options: { serviceName: string; httpPort: number },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const now = new Date();
    await this.instances.insert({
      id: this.instanceId,
      service: this.options.serviceName,
      host: hostname(),
      pid: process.pid,
      httpPort: this.options.httpPort,
      startedAt: now,
      heartbeatAt: now,
      stoppedAt: null,
    });
    this.timer = setInterval(() => {
      this.instances.update({ id: this.instanceId }, { heartbeatAt: new Date() }).catch((error: unknown) => {
        this.logger.warn(`instance heartbeat failed: ${String(error)}`);
      });
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.instances.update({ id: this.instanceId }, { stoppedAt: new Date() }).catch((error: unknown) => {
      this.logger.warn(`could not mark the instance stopped: ${String(error)}`);
    });
  }
}
