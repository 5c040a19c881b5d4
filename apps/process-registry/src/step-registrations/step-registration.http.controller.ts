/** REST for plug-in step registrations, `/api/v1/steps`: the same StepRegistrationService, roles and codes as over gRPC. */
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, UseInterceptors } from '@nestjs/common';
import { Roles } from '@flowline/auth';
import { pageWindow } from '@flowline/rpc';
import { RequireRoles } from '@flowline/service-kit';
import { correlationIdOfHeaders, versionFromIfMatch, type HeaderMap } from '../http/http-request';
import { RegistryRestLog } from '../http/registry-rest.log';
import { draftFromProto, rowToProto } from './step-registration.mapper';
import { StepRoutes as R } from './step-registration.http.routes';
import { StepRegistrationService, type StepWrite } from './step-registration.service';

function writeOf(body: ReturnType<typeof R.register.parseBody>): StepWrite {
  return {
    ...draftFromProto({ ...body, id: '', hasSecureConfiguration: false, registeredOn: '', registrationSequence: '', rowVersion: 0 }),
    enabled: body.enabled,
    unsecureConfiguration: body.unsecureConfiguration,
    secureConfiguration: body.secureConfiguration,
  };
}

@UseInterceptors(RegistryRestLog)
@Controller('api/v1/steps')
export class StepRegistrationHttpController {
  constructor(private readonly steps: StepRegistrationService) {}

  @Get()
  @RequireRoles(Roles.author, Roles.operator, Roles.service)
  async list(@Query() query: unknown) {
    const { message, primaryEntity, pageSize, pageToken } = R.list.parseQuery(query);
    const { rows, page } = await this.steps.list(pageWindow({ pageSize, pageToken }), {
      ...(message ? { message } : {}),
      ...(primaryEntity ? { primaryEntity } : {}),
    });
    return { steps: rows.map((row) => rowToProto(row)), page };
  }

  @Post()
  @RequireRoles(Roles.admin)
  async register(@Body() body: unknown, @Headers() headers: HeaderMap) {
    return rowToProto(await this.steps.register(writeOf(R.register.parseBody(body ?? {})), correlationIdOfHeaders(headers)));
  }

  @Get(':id')
  @RequireRoles(Roles.author, Roles.operator, Roles.service)
  async get(@Param('id') id: string) {
    return rowToProto(await this.steps.get(id));
  }

  @Put(':id')
  @RequireRoles(Roles.admin)
  async update(@Param('id') id: string, @Body() body: unknown, @Query() query: unknown, @Headers() headers: HeaderMap) {
    const expected = versionFromIfMatch(R.update.parseHeaders(headers)['if-match']);
    const { keepSecureConfiguration } = R.update.parseQuery(query);
    const step = writeOf(R.update.parseBody(body ?? {}));
    return rowToProto(await this.steps.update(id, step, expected, keepSecureConfiguration, correlationIdOfHeaders(headers)));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles(Roles.admin)
  async unregister(@Param('id') id: string, @Headers() headers: HeaderMap): Promise<void> {
    await this.steps.unregister(id, correlationIdOfHeaders(headers));
  }
}
