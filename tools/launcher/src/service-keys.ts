/**
 * Each service's own key for the calls it makes to other services (docs/adr/0009): an Ed25519
 * key pair per service, generated on the first start and kept in <data dir>/service-keys
 * (private keys readable by the owner only), so that development runs the same per-service
 * credentials as production does. Every service gets its own private key as SERVICE_KEY and
 * all the public keys as AUTH_SERVICE_KEYS.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { generateServiceKey, type JWK } from '@flowline/auth';

export interface ServiceKeys {
  /** SERVICE_KEY of each service, by service name. */
  privateKeys: Map<string, string>;
  /** AUTH_SERVICE_KEYS: the public keys of all of them. */
  publicKeySet: string;
}

export async function serviceKeys(dataDir: string, serviceNames: readonly string[]): Promise<ServiceKeys> {
  const folder = path.join(dataDir, 'service-keys');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const privateKeys = new Map<string, string>();
  const publicKeys: JWK[] = [];
  // Replicas of a service (two executors) share its key.
  for (const name of new Set(serviceNames)) {
    const file = path.join(folder, `${name}.private.jwk`);
    let privateJwk: JWK;
    if (existsSync(file)) {
      privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    } else {
      privateJwk = (await generateServiceKey(name)).privateJwk;
      await writeFile(file, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600 });
    }
    const { d: _private, ...publicJwk } = privateJwk;
    privateKeys.set(name, JSON.stringify(privateJwk));
    publicKeys.push(publicJwk);
  }
  return { privateKeys, publicKeySet: JSON.stringify({ keys: publicKeys }) };
}
