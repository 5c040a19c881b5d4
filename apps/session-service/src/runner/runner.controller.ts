/**
 * The dialog runner, served to browsers: `GET /dialogs/{dialog id or unique name}/run
 * ?entity={entity}&id={record id}[&session={session id}][&token={bearer token}]` answers the
 * page shell, and the script and styles it loads. No token is needed for these files: the
 * script calls the session API with the bearer token the person brings (see runner.js).
 */
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '@flowline/service-kit';
import { runnerPage } from './assets/runner-page';
import { RUNNER_SCRIPT } from './assets/runner-script';
import { RUNNER_STYLES } from './assets/runner-styles';

/** Only our own script, styles and API; never framed; the token never leaves in a Referer. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function common(response: Response): Response {
  return response
    .setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .setHeader('Referrer-Policy', 'no-referrer')
    .setHeader('X-Content-Type-Options', 'nosniff');
}

@Controller('dialogs')
@Public()
export class RunnerController {
  @Get('assets/runner.js')
  script(@Res() response: Response): void {
    common(response).setHeader('Cache-Control', 'no-cache').type('application/javascript').send(RUNNER_SCRIPT);
  }

  @Get('assets/runner.css')
  styles(@Res() response: Response): void {
    common(response).setHeader('Cache-Control', 'no-cache').type('text/css').send(RUNNER_STYLES);
  }

  @Get(':dialog/run')
  page(@Param('dialog') dialog: string, @Res() response: Response): void {
    common(response).setHeader('Cache-Control', 'no-store').type('html').send(runnerPage(dialog));
  }
}
