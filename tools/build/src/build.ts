/**
 * Production build of a service: transpiles the service and every library it can import
 * (TypeScript -> CommonJS with SWC, decorator metadata kept for Nest and TypeORM) into
 * `dist/`, mirroring the source tree, with `@flowline/*` imports rewritten to relative paths.
 * Type-checking is `npm run typecheck`'s job; this only emits.
 *
 *   node -r @swc-node/register tools/build/src/build.ts event-gateway [--out dist]
 */
import { transformFile, type Options } from '@swc/core';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const SERVICES = ['event-gateway', 'process-registry', 'async-executor', 'session-service'];

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec|d)\.ts$/.test(entry.name)) yield full;
  }
}

function swcOptions(file: string): Options {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { compilerOptions } = require(path.join(REPO_ROOT, 'tsconfig.base.json')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return {
    filename: file,
    sourceMaps: true,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      baseUrl: REPO_ROOT,
      paths: compilerOptions.paths,
    },
    module: { type: 'commonjs' },
  };
}

export async function buildService(service: string, outDir: string): Promise<number> {
  if (!SERVICES.includes(service)) throw new Error(`unknown service '${service}': expected one of ${SERVICES.join(', ')}`);
  await rm(path.join(outDir, 'apps', service), { recursive: true, force: true });
  const roots = [path.join(REPO_ROOT, 'apps', service, 'src'), path.join(REPO_ROOT, 'libs')];
  let count = 0;
  for (const root of roots) {
    for await (const file of sourceFiles(root)) {
      const output = await transformFile(file, swcOptions(file));
      const target = path.join(outDir, path.relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, `${output.code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
      if (output.map) await writeFile(`${target}.map`, output.map);
      count += 1;
    }
  }
  // The .proto files are read at run time by the gRPC server and clients.
  await cp(path.join(REPO_ROOT, 'libs/contracts/proto'), path.join(outDir, 'libs/contracts/proto'), { recursive: true });
  return count;
}

if (require.main === module) {
  const [service, flag, out] = process.argv.slice(2);
  const outDir = path.resolve(flag === '--out' && out ? out : path.join(REPO_ROOT, 'dist'));
  if (!service) {
    console.error(`usage: build.ts <service> [--out DIR]   services: ${SERVICES.join(', ')}`);
    process.exit(2);
  }
  buildService(service, outDir).then(
    (count) =>
      console.log(`built ${service}: ${count} files in ${outDir}; run with node ${path.join(outDir, 'apps', service, 'src', 'main.js')}`),
    (error: unknown) => {
      console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
