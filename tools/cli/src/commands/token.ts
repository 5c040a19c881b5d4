/** `flowline token --role <role>`: a development token signed with the shared secret AUTH_JWT_SECRET. */
import type { Command } from 'commander';
import { ALL_ROLES, signToken, type Role } from '@flowline/auth';
import { CliError, ExitCode, usageError } from '../errors';
import { createOutput } from '../output';

export function tokenCommand(program: Command): void {
  program
    .command('token')
    .description('mint a development token (HS256, signed with AUTH_JWT_SECRET); refused when it is not set')
    .requiredOption('--role <role>', `${ALL_ROLES.join(', ')}; repeatable or comma-separated`, (value: string, previous: string[] = []) => [...previous, ...value.split(',')])
    .option('--subject <sub>', 'the token subject (user id)', 'flowline-cli')
    .option('--ttl <seconds>', 'lifetime in seconds', '3600')
    .action((options: { role: string[]; subject: string; ttl: string }, command: Command) => {
      const roles = options.role.map((role) => role.trim());
      for (const role of roles) if (!(ALL_ROLES as readonly string[]).includes(role)) throw usageError(`--role expected one of ${ALL_ROLES.join(', ')}, got '${role}'`);
      const ttl = Number(options.ttl);
      if (!Number.isInteger(ttl) || ttl <= 0) throw usageError(`--ttl expected a whole number of seconds, got '${options.ttl}'`);
      const key = process.env['AUTH_JWT_SECRET'];
      if (!key)
        throw new CliError(
          'cannot mint a token: AUTH_JWT_SECRET is not set. Tokens are minted only in development set-ups that share a secret (npm start keeps it in .data/auth-secret: AUTH_JWT_SECRET=$(cat .data/auth-secret) flowline token --role ...); in production get a token from your identity provider.',
          ExitCode.failed,
          'NO_SECRET',
        );
      const token = signToken(key, { subject: options.subject, roles: roles as Role[], expiresInSeconds: ttl });
      const out = createOutput(command.optsWithGlobals<{ json?: boolean }>().json === true);
      out.result({ token, subject: options.subject, roles, expiresInSeconds: ttl }, () => out.line(token));
    });
}
