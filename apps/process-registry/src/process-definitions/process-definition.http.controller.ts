/**
 * REST for process definitions under `/api/v1/definitions` (routes and schemas in
 * process-definition.http.routes.ts): the same ProcessDefinitionService, roles and error codes
 * as the gRPC ProcessDefinitionService. Definitions and export documents come as JSON or as
 * YAML (`Content-Type: application/yaml`); a definition's errors come back with their paths.
 */
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query, Res, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { Roles, type Principal } from '@flowline/auth';
import { pageWindow } from '@flowline/rpc';
import { CurrentPrincipal, RequireRoles } from '@flowline/service-kit';
import { correlationIdOfHeaders, versionFromIfMatch, type HeaderMap } from '../http/http-request';
import { RegistryRestLog } from '../http/registry-rest.log';
import type { DefinitionVersionRow } from './definition-version.entity';
import type { ProcessDefinitionRow } from './process-definition.entity';
import { definitionToProto, versionToProto } from './process-definition.mapper';
import { DefinitionRoutes as R, YAML_MEDIA_TYPES, type DefinitionVersionView, type DefinitionView } from './process-definition.http.routes';
import { ProcessDefinitionService, type DefinitionRef } from './process-definition.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A definition named in a URL: a UUID is an id, anything else a unique name. */
export const refOf = (value: string): DefinitionRef => (UUID.test(value) ? { id: value } : { uniqueName: value });

export function definitionToRest(row: ProcessDefinitionRow): DefinitionView {
  return { ...definitionToProto(row), source: row.source };
}

export function versionToRest(row: DefinitionVersionRow): DefinitionVersionView {
  const { compiled: _text, deactivatedOn: _on, ...rest } = versionToProto(row);
  return { ...rest, compiled: row.compiled as unknown as Record<string, unknown>, deactivatedOn: row.deactivatedOn?.toISOString() ?? null };
}

const isYaml = (contentType: string | undefined): boolean =>
  YAML_MEDIA_TYPES.includes((contentType ?? '').split(';')[0]!.trim().toLowerCase());

@UseInterceptors(RegistryRestLog)
@Controller('api/v1/definitions')
export class ProcessDefinitionHttpController {
  constructor(private readonly definitions: ProcessDefinitionService) {}

  /** The body as text in its format: YAML as sent, JSON checked by the route's schema and written out again. */
  private source(route: typeof R.save | typeof R.validate | typeof R.update | typeof R.import, body: unknown, headers: HeaderMap) {
    if (isYaml(headers['content-type'])) return { text: typeof body === 'string' ? body : '', format: 'yaml' as const };
    return { text: JSON.stringify(route.parseBody(body ?? {})), format: 'json' as const };
  }

  @Get()
  async list(@Query() query: unknown) {
    const { pageSize, pageToken, category, state, primaryEntity, nameContains } = R.list.parseQuery(query);
    const { rows, page } = await this.definitions.list(pageWindow({ pageSize, pageToken }), {
      ...(category !== undefined ? { category } : {}),
      ...(state !== undefined ? { state } : {}),
      ...(primaryEntity ? { primaryEntity } : {}),
      ...(nameContains ? { nameContains } : {}),
    });
    return { definitions: rows.map(definitionToRest), page };
  }

  @Post()
  @HttpCode(200)
  @RequireRoles(Roles.author)
  async save(@Body() body: unknown, @Headers() headers: HeaderMap, @CurrentPrincipal() principal: Principal) {
    const { text, format } = this.source(R.save, body, headers);
    return definitionToRest(await this.definitions.save(text, format, undefined, 0, principal));
  }

  @Post('validate')
  @HttpCode(200)
  async validate(@Body() body: unknown, @Headers() headers: HeaderMap) {
    const { text, format } = this.source(R.validate, body, headers);
    const violations = await this.definitions.check(text, format);
    return {
      valid: violations.length === 0,
      violations: violations.map((v) => ({ field: v.field, description: v.description, code: v.code ?? '' })),
    };
  }

  @Get('export')
  async export(@Query() query: unknown, @Res() response: Response): Promise<void> {
    const { uniqueName, format } = R.export.parseQuery(query);
    const document = await this.definitions.export(uniqueName ?? [], format ?? 'json');
    if (format === 'yaml') response.status(200).type('application/yaml').send(document);
    else response.status(200).type('application/json').send(document);
  }

  @Post('import')
  @HttpCode(200)
  @RequireRoles(Roles.author)
  async import(@Body() body: unknown, @Query() query: unknown, @Headers() headers: HeaderMap, @CurrentPrincipal() principal: Principal) {
    const { activate } = R.import.parseQuery(query);
    const { text, format } = this.source(R.import, body, headers);
    const rows = await this.definitions.import(text, format, activate, principal, correlationIdOfHeaders(headers));
    return { definitions: rows.map(definitionToRest) };
  }

  @Get(':ref')
  async get(@Param('ref') ref: string) {
    return definitionToRest(await this.definitions.get(refOf(ref)));
  }

  @Put(':ref')
  @RequireRoles(Roles.author)
  async update(@Param('ref') id: string, @Body() body: unknown, @Headers() headers: HeaderMap, @CurrentPrincipal() principal: Principal) {
    const expected = versionFromIfMatch(R.update.parseHeaders(headers)['if-match']);
    const { text, format } = this.source(R.update, body, headers);
    return definitionToRest(await this.definitions.save(text, format, id, expected, principal));
  }

  @Delete(':ref')
  @HttpCode(204)
  @RequireRoles(Roles.author)
  async remove(@Param('ref') ref: string, @Headers() headers: HeaderMap): Promise<void> {
    await this.definitions.delete(refOf(ref), correlationIdOfHeaders(headers));
  }

  @Post(':ref/activate')
  @HttpCode(200)
  @RequireRoles(Roles.author)
  async activate(@Param('ref') ref: string, @Headers() headers: HeaderMap, @CurrentPrincipal() principal: Principal) {
    return versionToRest(await this.definitions.activate(refOf(ref), principal, correlationIdOfHeaders(headers)));
  }

  @Post(':ref/deactivate')
  @HttpCode(200)
  @RequireRoles(Roles.author)
  async deactivate(@Param('ref') ref: string, @Headers() headers: HeaderMap, @CurrentPrincipal() principal: Principal) {
    return definitionToRest(await this.definitions.deactivate(refOf(ref), principal, correlationIdOfHeaders(headers)));
  }

  @Get(':ref/versions')
  async versions(@Param('ref') ref: string, @Query() query: unknown) {
    const { pageSize, pageToken } = R.versions.parseQuery(query);
    const { rows, page } = await this.definitions.listVersions(refOf(ref), pageWindow({ pageSize, pageToken }));
    return { versions: rows.map(versionToRest), page };
  }

  @Get(':ref/versions/:version')
  async version(@Param() params: unknown) {
    const { ref, version } = R.version.parseParams(params);
    return versionToRest(await this.definitions.getVersion(refOf(ref), version === 'active' ? 0 : Number(version)));
  }
}
