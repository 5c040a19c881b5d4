/**
 * `npm run service-keys -- --out DIR`: a key pair per Flowline service for production without
 * a shared secret (docs/adr/0009). Writes DIR/service-keys/<service>.private.jwk (owner-readable) and
 * DIR/service-keys.jwks.json (the public keys, for AUTH_SERVICE_KEYS), and prints the kubectl
 * commands that put them in the Secrets the manifests in deploy/k8s read. Keys already in DIR
 * are kept, so running it again after adding a service only adds that one.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ALL_SERVICES } from '@flowline/contracts';
import { serviceKeys } from './service-keys';

const USAGE = `Usage: npm run service-keys -- --out DIR

Writes an Ed25519 key pair for each service (${ALL_SERVICES.map((service) => service.name).join(', ')}):
DIR/service-keys/<service>.private.jwk for that service's SERVICE_KEY, and DIR/service-keys.jwks.json,
the public keys every service trusts (AUTH_SERVICE_KEYS). Existing keys in DIR are kept.`;

async function main(argv: string[]): Promise<number> {
  const at = argv.findIndex((arg) => arg === '--out' || arg.startsWith('--out='));
  const out = at < 0 ? undefined : argv[at]!.includes('=') ? argv[at]!.slice(argv[at]!.indexOf('=') + 1) : argv[at + 1];
  if (argv.includes('--help') || argv.includes('-h') || !out) {
    process.stdout.write(`${USAGE}\n`);
    return out ? 0 : 2;
  }
  const dir = path.resolve(out);
  const keys = await serviceKeys(
    dir,
    ALL_SERVICES.map((service) => service.name),
  );
  const jwks = path.join(dir, 'service-keys.jwks.json');
  await writeFile(jwks, `${keys.publicKeySet}\n`);
  process.stdout.write(
    [
      `Wrote ${keys.privateKeys.size} private keys to ${path.join(dir, 'service-keys')} and the public keys to ${jwks}.`,
      '',
      'For deploy/k8s (namespace flowline):',
      `  kubectl -n flowline create secret generic flowline-secrets --from-literal=DATABASE_URL=... --from-file=AUTH_SERVICE_KEYS=${jwks}`,
      ...ALL_SERVICES.map(
        (service) =>
          `  kubectl -n flowline create secret generic ${service.name}-credentials --from-file=SERVICE_KEY=${path.join(dir, 'service-keys', `${service.name}.private.jwk`)}`,
      ),
      '',
      'Keep the private keys out of version control; each belongs to its own service only.',
      '',
    ].join('\n'),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-keys: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
