/**
 * The standard gRPC health service, answered from the same readiness checks as
 * `GET /health/ready`: SERVING when every dependency answers, NOT_SERVING otherwise (and
 * from the moment a stop signal arrives).
 */
import { Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { HealthProto, notFound } from '@flowline/rpc';
import { ReadinessRegistry } from '../health/readiness.registry';
import { Public } from '../auth/auth.guard';
import { GrpcController } from './rpc-exception.filter';
import { SERVICE_NAME } from '../health/tokens';

const { HealthCheckResponse_ServingStatus: ServingStatus } = HealthProto;
type HealthCheckResponse = HealthProto.HealthCheckResponse;

const WATCH_INTERVAL_MS = 2_000;

@Public()
@GrpcController()
export class GrpcHealthController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Inject(SERVICE_NAME) private readonly serviceName: string,
  ) {}

  private knows(service: string): boolean {
    return service === '' || service === this.serviceName;
  }

  private async status(): Promise<HealthCheckResponse> {
    const report = await this.readiness.report();
    return { status: report.ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING };
  }

  @GrpcMethod('Health', 'Check')
  async check(request: HealthProto.HealthCheckRequest): Promise<HealthCheckResponse> {
    if (!this.knows(request.service)) {
      throw notFound('UNKNOWN_HEALTH_SERVICE', `no health status for '${request.service}': ask for '' or '${this.serviceName}'`);
    }
    return this.status();
  }

  @GrpcMethod('Health', 'Watch')
  watch(request: HealthProto.HealthCheckRequest): Observable<HealthCheckResponse> {
    return new Observable<HealthCheckResponse>((subscriber) => {
      if (!this.knows(request.service)) {
        subscriber.next({ status: ServingStatus.SERVICE_UNKNOWN });
        return undefined;
      }
      let last: number | undefined;
      const emit = () => {
        this.status().then(
          (response) => {
            if (response.status !== last) subscriber.next(response);
            last = response.status;
          },
          (error: unknown) => subscriber.error(error),
        );
      };
      emit();
      const timer = setInterval(emit, WATCH_INTERVAL_MS);
      return () => clearInterval(timer);
    });
  }
}
