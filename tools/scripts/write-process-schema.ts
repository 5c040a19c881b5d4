/** Writes libs/process-model/schema/process-definition.schema.json (nx run process-model:schema). */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { definitionJsonSchemaText } from '../../libs/process-model/src';

const file = path.resolve(__dirname, '../../libs/process-model/schema/process-definition.schema.json');
writeFileSync(file, definitionJsonSchemaText());
console.log(`wrote ${file}`);
