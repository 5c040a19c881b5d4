/** Every TypeORM entity of the registry schema; the migrations must create exactly these. */
import { OutboxMessageRow } from '@flowline/messaging';
import { EntityDefinitionRow } from '../entity-metadata/entity-definition.entity';
import { MetadataStateRow } from '../metadata-version/metadata-state.entity';
import { DefinitionVersionRow } from '../process-definitions/definition-version.entity';
import { ProcessDefinitionRow } from '../process-definitions/process-definition.entity';
import { StepRegistrationRow } from '../step-registrations/step-registration.entity';

export const RegistryEntities: Array<new () => unknown> = [
  EntityDefinitionRow,
  MetadataStateRow,
  ProcessDefinitionRow,
  DefinitionVersionRow,
  StepRegistrationRow,
  OutboxMessageRow,
];
