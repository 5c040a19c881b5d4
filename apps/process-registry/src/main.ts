/** Entry point of the process-registry service. */
import './instrument';
import 'reflect-metadata';
import { ProtoFiles, ProtoPackages } from '@flowline/rpc';
import { loadConfigOrExit, startService } from '@flowline/service-kit';
import { AppModule } from './app.module';
import { RegistryConfigShape, SERVICE } from './config';
import { YAML_MEDIA_TYPES } from './process-definitions/process-definition.http.routes';

async function main(): Promise<void> {
  const config = loadConfigOrExit(SERVICE.name, RegistryConfigShape);
  await startService({
    serviceName: SERVICE.name,
    rootModule: AppModule.forRoot(config),
    config,
    grpc: { packages: [ProtoPackages.registry], protoFiles: [ProtoFiles.registry] },
    // Definitions and export documents may come as YAML.
    textMediaTypes: YAML_MEDIA_TYPES,
  });
}

main().catch(() => {
  // startService has logged the reason as a fatal line.
  process.exit(1);
});
