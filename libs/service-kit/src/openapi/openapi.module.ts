/**
 * `GET /openapi.json`: the service's OpenAPI document, public (no token), built once when the
 * module is created.
 */
import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import { Public } from '../auth/auth.guard';
import { buildOpenApiDocument, type OpenApiDocument, type OpenApiDocumentOptions } from './openapi-document';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');
export const OPENAPI_PATH = 'openapi.json';

@Public()
@Controller()
export class OpenApiController {
  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: OpenApiDocument) {}

  @Get(OPENAPI_PATH)
  get(): OpenApiDocument {
    return this.document;
  }
}

@Module({})
export class OpenApiModule {
  static forDocument(options: OpenApiDocumentOptions): DynamicModule {
    return {
      module: OpenApiModule,
      controllers: [OpenApiController],
      providers: [{ provide: OPENAPI_DOCUMENT, useFactory: () => buildOpenApiDocument(options) }],
    };
  }
}
