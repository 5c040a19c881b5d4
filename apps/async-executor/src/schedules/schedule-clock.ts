/** The scheduler's clock: the time due schedules are compared with. Tests put their own in its place. */
import { Injectable } from '@nestjs/common';

@Injectable()
export class ScheduleClock {
  now(): Date {
    return new Date();
  }
}
