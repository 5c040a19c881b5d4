/**
 * The webhook endpoints of the example definitions, and development secrets for them: an
 * example's `on: webhook` trigger names a secret that the gateway reads from
 * WEBHOOK_SECRET_<NAME>. When that variable is not set, `npm start` makes a random secret once
 * and keeps it in <data>/webhook-secrets/<name> (mode 600), so the example can be called at once.
 * Any WEBHOOK_SECRET_* set in the launcher's environment is passed on to the services as it is.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseSource, webhookSecretVariable } from '@flowline/process-model';

export interface ExampleWebhook {
  uniqueName: string;
  path: string;
  auth: string;
  secret: string;
}

export async function exampleWebhooks(directory: string): Promise<ExampleWebhook[]> {
  const found: ExampleWebhook[] = [];
  const files = (await readdir(directory).catch(() => [])).filter((file) => file.endsWith('.yaml')).sort();
  for (const file of files) {
    const parsed = parseSource(await readFile(path.join(directory, file), 'utf8'), 'yaml');
    if (!parsed.ok) continue;
    const definition = parsed.value as { uniqueName?: unknown; triggers?: unknown };
    if (typeof definition.uniqueName !== 'string' || !Array.isArray(definition.triggers)) continue;
    for (const trigger of definition.triggers as Array<Record<string, unknown>>) {
      if (trigger?.['on'] !== 'webhook' || typeof trigger['secret'] !== 'string') continue;
      found.push({
        uniqueName: definition.uniqueName,
        path: typeof trigger['path'] === 'string' ? trigger['path'] : definition.uniqueName,
        auth: typeof trigger['auth'] === 'string' ? trigger['auth'] : 'signature',
        secret: trigger['secret'],
      });
    }
  }
  return found;
}

/** The WEBHOOK_SECRET_* settings for the services: the launcher's own, and development ones for the examples. */
export async function webhookSecretSettings(
  dataDir: string,
  hooks: readonly ExampleWebhook[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ settings: Record<string, string>; files: Map<string, string> }> {
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (key.startsWith('WEBHOOK_SECRET_') && value) settings[key] = value;
  const files = new Map<string, string>();
  for (const hook of hooks) {
    const variable = webhookSecretVariable(hook.secret);
    if (settings[variable]) continue;
    const directory = path.join(dataDir, 'webhook-secrets');
    const file = path.join(directory, hook.secret);
    let secret = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (!secret) {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      secret = randomBytes(24).toString('base64url');
      await writeFile(file, `${secret}\n`, { mode: 0o600 });
    }
    settings[variable] = secret;
    files.set(hook.secret, file);
  }
  return { settings, files };
}

/** The ready message's lines for the example webhooks: where to POST, how it is authenticated, where its secret is. */
export function renderWebhooks(
  gatewayUrl: string | undefined,
  hooks: readonly ExampleWebhook[],
  files: ReadonlyMap<string, string>,
): string {
  if (!gatewayUrl || hooks.length === 0) return '';
  const lines = hooks.map((hook) => {
    const file = files.get(hook.secret);
    const secret = file ? `secret in ${file}` : `secret from ${webhookSecretVariable(hook.secret)}`;
    return `    ${hook.uniqueName}: POST ${gatewayUrl}/api/v1/hooks/${hook.path} (${hook.auth === 'token' ? 'Authorization: Bearer <secret>' : 'Standard Webhooks signature'}, ${secret})\n`;
  });
  return `  Webhooks (see the README's "Webhook triggers"):\n${lines.join('')}`;
}
