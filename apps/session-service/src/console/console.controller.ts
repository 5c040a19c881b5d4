/**
 * The operator console's page and its built assets at `/console/` (docs/adr/0013). No token is
 * needed for these files: the page signs in with a bearer token the person brings and calls the
 * APIs with it. Without a built console the page says how to build one (503).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@flowline/service-kit';
import { CONSOLE_SETTINGS, type ConsoleSettings } from './console.settings';

/** Only our own script, styles and API (same origin, through the forwarder); never framed; no Referer. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.js': 'application/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};
/** What an asset's name may be: Vite's hashed file names, nothing with a path in it. */
const ASSET_NAME = /^[A-Za-z0-9_.-]+$/;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Console not built · Flowline</title></head>
<body><main><h1>The console is not built</h1><p>This session service has no console files in its CONSOLE_DIR.
Build them with <code>npx nx build console</code> (npm start does it by itself), then reload this page.</p></main></body></html>`;

function common(response: Response): Response {
  return response
    .setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .setHeader('Referrer-Policy', 'no-referrer')
    .setHeader('X-Content-Type-Options', 'nosniff');
}

@Controller('console')
@Public()
export class ConsoleController {
  constructor(@Inject(CONSOLE_SETTINGS) private readonly settings: ConsoleSettings) {}

  @Get()
  page(@Res() response: Response): void {
    const index = path.join(this.settings.directory, 'index.html');
    if (!existsSync(index)) {
      common(response).status(503).setHeader('Cache-Control', 'no-store').type('html').send(NOT_BUILT);
      return;
    }
    common(response).setHeader('Cache-Control', 'no-cache').type('html').send(readFileSync(index, 'utf8'));
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() response: Response): void {
    const type = TYPES[path.extname(file)];
    const location = path.join(this.settings.directory, 'assets', file);
    if (!ASSET_NAME.test(file) || !type || !existsSync(location)) throw new NotFoundException(`no console asset ${file}`);
    // Vite names every asset by its content's hash: a name never changes its content.
    common(response).setHeader('Cache-Control', 'public, max-age=31536000, immutable').type(type).send(readFileSync(location));
  }
}
