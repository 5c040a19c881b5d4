/** `GET /api/v1/metadata`: the version of the metadata this gateway runs on, and its cache counters. */
import { Controller, Get } from '@nestjs/common';
import { MetadataCache, type CacheStats } from '@flowline/metadata-cache';

@Controller('api/v1/metadata')
export class MetadataHttpController {
  constructor(private readonly cache: MetadataCache) {}

  @Get()
  stats(): CacheStats & { ready: boolean } {
    return { ready: this.cache.ready, ...this.cache.getStats() };
  }
}
