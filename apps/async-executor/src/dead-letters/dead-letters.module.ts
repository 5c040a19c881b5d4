/**
 * Dead letters: the consumer that keeps everything reaching flowline.dead-letter.v1, and the
 * operators' API to list, read, edit, replay and discard them (REST and gRPC), with an audit of each action.
 */
import { Module } from '@nestjs/common';
import { DeadLettersConsumer } from './dead-letters.consumer';
import { DeadLettersGrpcController } from './dead-letters.grpc.controller';
import { DeadLettersHttpController } from './dead-letters.http.controller';
import { DeadLetterMetrics } from './dead-letters.metrics';
import { DeadLettersRepository } from './dead-letters.repository';
import { DeadLettersService } from './dead-letters.service';

@Module({
  controllers: [DeadLettersHttpController, DeadLettersGrpcController],
  providers: [DeadLettersRepository, DeadLetterMetrics, DeadLettersService, DeadLettersConsumer],
  exports: [DeadLettersService],
})
export class DeadLettersModule {}
