/** The metadata version and the change announcements every write records. */
import { Module } from '@nestjs/common';
import { MetadataVersionService } from './metadata-version.service';

@Module({ providers: [MetadataVersionService], exports: [MetadataVersionService] })
export class MetadataVersionModule {}
