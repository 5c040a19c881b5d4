/** REST for entity metadata, `/api/v1/entities`: the same EntityMetadataService, roles and codes as over gRPC. */
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import { Roles } from '@flowline/auth';
import { invalidArgument, pageWindow } from '@flowline/rpc';
import { RequireRoles } from '@flowline/service-kit';
import { correlationIdOfHeaders, versionFromIfMatch, type HeaderMap } from '../http/http-request';
import { RegistryRestLog } from '../http/registry-rest.log';
import { entityFromProto, rowToProto } from './entity-metadata.mapper';
import { EntityRoutes as R } from './entity-metadata.http.routes';
import { EntityMetadataErrorCode as Code } from './entity-metadata.errors';
import { EntityMetadataService } from './entity-metadata.service';

const entityOf = (body: ReturnType<typeof R.create.parseBody>) => entityFromProto({ ...body, isCustom: true, version: 0, modifiedOn: '' });

@UseInterceptors(RegistryRestLog)
@Controller('api/v1/entities')
export class EntityMetadataHttpController {
  constructor(private readonly entities: EntityMetadataService) {}

  @Get()
  async list(@Query() query: unknown) {
    const { pageSize, pageToken } = R.list.parseQuery(query);
    const { rows, page } = await this.entities.list(pageWindow({ pageSize, pageToken }));
    return { entities: rows.map(rowToProto), page };
  }

  @Post()
  @RequireRoles(Roles.admin)
  async create(@Body() body: unknown, @Headers() headers: HeaderMap) {
    return rowToProto(await this.entities.create(entityOf(R.create.parseBody(body ?? {})), correlationIdOfHeaders(headers)));
  }

  @Get(':logicalName')
  async get(@Param('logicalName') logicalName: string) {
    return rowToProto(await this.entities.get(logicalName));
  }

  /** The entity named in the path; a body naming another one is refused by the service as a rename. */
  @Put(':logicalName')
  @RequireRoles(Roles.admin)
  async update(@Param('logicalName') logicalName: string, @Body() body: unknown, @Headers() headers: HeaderMap) {
    const expected = versionFromIfMatch(R.update.parseHeaders(headers)['if-match']);
    const parsed = R.update.parseBody(body ?? {});
    const entity = entityOf({ ...parsed, logicalName: parsed.logicalName || logicalName });
    if (entity.logicalName !== logicalName) {
      throw invalidArgument(
        Code.Invalid,
        `the body names entity '${entity.logicalName}', the path '${logicalName}': entities cannot be renamed`,
        [{ field: 'entity.logicalName', description: `expected '${logicalName}'` }],
      );
    }
    return rowToProto(await this.entities.update(entity, expected, correlationIdOfHeaders(headers)));
  }

  @Delete(':logicalName')
  @HttpCode(204)
  @RequireRoles(Roles.admin)
  async remove(@Param('logicalName') logicalName: string, @Headers() headers: HeaderMap): Promise<void> {
    await this.entities.delete(logicalName, correlationIdOfHeaders(headers));
  }
}
