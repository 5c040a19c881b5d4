/**
 * Loads the example definitions (examples/*.yaml) into the registry on `npm start`: each one
 * that the registry does not have yet is saved and activated. Definitions that exist are left
 * as they are, so local edits survive restarts.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createGrpcClient, ProtoFiles, RegistryProto, type RpcCallError } from '@flowline/rpc';

export interface ExampleReport {
  loaded: string[];
  existing: string[];
  failed: Array<{ file: string; reason: string }>;
}

export async function loadExamples(registryAddress: string, token: string, directory: string): Promise<ExampleReport> {
  const report: ExampleReport = { loaded: [], existing: [], failed: [] };
  const files = (await readdir(directory).catch(() => [])).filter((file) => file.endsWith('.yaml')).sort();
  const handle = createGrpcClient<RegistryProto.ProcessDefinitionServiceClient>(
    ProtoFiles.registry,
    'flowline.registry.v1.ProcessDefinitionService',
    { address: registryAddress, token },
  );
  try {
    for (const file of files) {
      const source = await readFile(path.join(directory, file), 'utf8');
      const uniqueName = /^uniqueName:\s*(\S+)/m.exec(source)?.[1] ?? file;
      try {
        await handle.client.getDefinition({ ref: { id: '', uniqueName } });
        report.existing.push(uniqueName);
        continue;
      } catch (error) {
        if ((error as RpcCallError).grpcCode !== 5) throw error; // 5: NOT_FOUND, load it
      }
      try {
        const saved = await handle.client.saveDefinition({
          source,
          format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
          id: '',
          expectedRowVersion: 0,
        });
        await handle.client.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
        report.loaded.push(uniqueName);
      } catch (error) {
        report.failed.push({ file, reason: (error as Error).message });
      }
    }
  } finally {
    handle.close();
  }
  return report;
}
