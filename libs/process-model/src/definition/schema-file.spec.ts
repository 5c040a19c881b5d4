import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { definitionJsonSchemaText as schemaText } from './definition';

const SCHEMA_FILE = path.resolve(__dirname, '../../schema/process-definition.schema.json');

describe('the published JSON Schema', () => {
  it('matches the definition types (regenerate with: npx nx run process-model:schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText());
  });

  it('describes the header and every step type', () => {
    const schema = JSON.parse(schemaText()) as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'name', 'uniqueName', 'category', 'primaryEntity', 'steps']));
    const text = schemaText();
    for (const type of [
      'condition',
      'createRecord',
      'updateRecord',
      'waitCondition',
      'waitTimeout',
      'parallelWait',
      'stop',
      'customActivity',
      'page',
      'queryData',
      'assignValue',
      'linkChildDialog',
    ]) {
      expect(text).toContain(`"const": "${type}"`);
    }
  });
});
