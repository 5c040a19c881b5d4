/**
 * Dead letters: the consumer that keeps everything reaching flowline.dead-letter.v1, and the
 * operators' API to list, read, edit, replay and discard them (REST), with an audit of each action.
 */
import { Module } from '@nestjs/common';
import { DeadLettersConsumer } from './dead-letters.consumer';
import { DeadLettersHttpController } from './dead-letters.http.controller';
import { DeadLetterMetrics } from './dead-letters.metrics';
import { DeadLettersRepository } from './dead-letters.repository';
import { DeadLettersService } from './dead-letters.service';

@Module({
  controllers: [DeadLettersHttpController],
  providers: [DeadLettersRepository, DeadLetterMetrics, DeadLettersService, DeadLettersConsumer],
  exports: [DeadLettersService],
})
export class DeadLettersModule {}
