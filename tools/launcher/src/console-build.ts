/**
 * The operator console's files for the session service to serve (docs/adr/0013): built with
 * Vite into dist/apps/console when they are missing or older than any source file of
 * apps/console, so `npm start` from a clean clone serves a console without a separate step.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const CONSOLE_OUTPUT = path.join('dist', 'apps', 'console');

function newestFile(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'test' || entry.name === 'node_modules') continue;
    const full = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestFile(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Whether the console needs building: no index.html yet, or a source newer than it. */
export function consoleBuildNeeded(repoRoot: string): boolean {
  const sources = path.join(repoRoot, 'apps', 'console');
  if (!existsSync(sources)) return false;
  const index = path.join(repoRoot, CONSOLE_OUTPUT, 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs < newestFile(sources);
}

/** Builds the console (vite build); resolves with the build's output when it failed, undefined when it worked. */
export function buildConsole(repoRoot: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const vite = path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js');
    const child = spawn(process.execPath, [vite, 'build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code) => resolve(code === 0 ? undefined : output.trim() || `vite build exited with ${code}`));
  });
}
