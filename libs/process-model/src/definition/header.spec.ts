import { readHeader } from './header';
import { parseSource } from './parse-source';

describe('parseSource', () => {
  it('reads YAML and JSON definitions', () => {
    expect(parseSource('name: Onboarding\ncategory: workflow\n', 'yaml')).toEqual({
      ok: true,
      value: { name: 'Onboarding', category: 'workflow' },
    });
    expect(parseSource('{"name": "Onboarding"}', 'json')).toEqual({ ok: true, value: { name: 'Onboarding' } });
  });

  it('points at the line and column of a syntax error', () => {
    const yaml = parseSource('name: Onboarding\nsteps: [a, b\n', 'yaml');
    expect(yaml.ok).toBe(false);
    if (!yaml.ok)
      expect(yaml.errors[0]!.message).toBe(
        'not valid YAML at line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
      );
    const json = parseSource('{\n  "name": "x",\n}', 'json');
    expect(json.ok).toBe(false);
    if (!json.ok) expect(json.errors[0]!.message).toMatch(/^not valid JSON at line 3, column 1: /);
    expect(parseSource('  ', 'yaml')).toEqual({ ok: false, errors: [{ path: '$', message: 'the definition is empty', code: 'EMPTY' }] });
  });

  it('refuses duplicate keys in YAML instead of silently keeping the last', () => {
    const parsed = parseSource('name: a\nname: b\n', 'yaml');
    expect(parsed.ok).toBe(false);
  });
});

describe('readHeader', () => {
  const valid = {
    schemaVersion: 1,
    name: 'Account onboarding',
    uniqueName: 'account-onboarding',
    category: 'workflow',
    primaryEntity: 'account',
  };

  it('fills the defaults of the source platform', () => {
    expect(readHeader(valid)).toEqual({
      ok: true,
      header: { ...valid, scope: 'organization', runAs: 'owner', mode: 'background', availableOnDemand: false, availableAsChild: false },
    });
  });

  it('names every bad or missing field with its JSON path', () => {
    expect(
      readHeader({ schemaVersion: 2, uniqueName: 'Account Onboarding', category: 'flow', primaryEntity: 'account', scope: 'team' }),
    ).toEqual({
      ok: false,
      errors: [
        { path: '$.schemaVersion', message: 'expected schemaVersion 1', code: 'INVALID' },
        { path: '$.name', message: 'is required: expected a name', code: 'REQUIRED' },
        {
          path: '$.uniqueName',
          message: 'expected lowercase letters, digits, dots, dashes or underscores, starting with a letter (2 to 100 characters)',
          code: 'INVALID',
        },
        { path: '$.category', message: 'expected one of workflow, dialog', code: 'INVALID' },
        { path: '$.scope', message: 'expected one of user, businessUnit, parentChildBusinessUnits, organization', code: 'INVALID' },
      ],
    });
    expect(readHeader(['not', 'a', 'definition'])).toEqual({
      ok: false,
      errors: [{ path: '$', message: 'a definition is an object (a mapping in YAML)', code: 'TYPE' }],
    });
  });
});
