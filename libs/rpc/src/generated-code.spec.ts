/**
 * CI fails when the generated TypeScript no longer matches the .proto files: this test
 * regenerates into a temporary folder with the committed buf template and compares.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const PROTO_DIR = path.join(REPO_ROOT, 'libs/contracts/proto');
const COMMITTED = path.join(REPO_ROOT, 'libs/rpc/src/generated');

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full, base) : [path.relative(base, full)];
  });
}

describe('generated gRPC code', () => {
  it('is up to date with libs/contracts/proto (regenerate with: npx nx run rpc:proto-generate)', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'flowline-proto-'));
    try {
      const template = parse(readFileSync(path.join(PROTO_DIR, 'buf.gen.yaml'), 'utf8')) as {
        plugins: Array<{ local: string; out: string }>;
      };
      for (const plugin of template.plugins) {
        plugin.local = path.resolve(PROTO_DIR, plugin.local);
        plugin.out = out;
      }
      const templateFile = path.join(out, 'buf.gen.yaml');
      writeFileSync(templateFile, stringify(template));
      execFileSync(path.join(REPO_ROOT, 'node_modules/.bin/buf'), ['generate', '--template', templateFile], {
        cwd: PROTO_DIR,
        stdio: 'pipe',
      });
      rmSync(templateFile);
      const generated = filesUnder(out).sort();
      expect(generated).toEqual(filesUnder(COMMITTED).sort());
      for (const file of generated) {
        expect({ file, text: readFileSync(path.join(out, file), 'utf8') }).toEqual({
          file,
          text: readFileSync(path.join(COMMITTED, file), 'utf8'),
        });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
