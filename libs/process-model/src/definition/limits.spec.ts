import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { stringify } from 'yaml';
import { compileDefinition, DefinitionInvalidError } from './compile';
import { badCharacter, checkValueLimits, DEFINITION_LIMITS } from './limits';
import { parseSource } from './parse-source';
import { validateDefinition } from './validate';

const base = { schemaVersion: 1, name: 'T', uniqueName: 'test-flow', category: 'workflow', primaryEntity: 'account' };

/** A workflow whose conditions nest `levels` deep, an updateRecord at the bottom. */
function nestedConditions(levels: number): Record<string, unknown> {
  let steps: unknown[] = [{ id: 'leaf', type: 'updateRecord', set: { name: 'x' } }];
  for (let level = levels; level > 0; level--) {
    steps = [{ id: `c${level}`, type: 'condition', branches: [{ when: 'true', steps }] }];
  }
  return { ...base, steps };
}

describe('the limits of the language', () => {
  it('accepts conditions nested 20 deep', () => {
    expect(validateDefinition(nestedConditions(20), DEFAULT_ENTITIES)).toEqual([]);
  });

  it('refuses conditions nested 700 deep (JSON and YAML) with TOO_DEEP at the path where the limit is crossed', () => {
    const json = parseSource(JSON.stringify(nestedConditions(700)), 'json');
    expect(json.ok).toBe(false);
    if (json.ok) return;
    expect(json.errors).toHaveLength(1);
    expect(json.errors[0]).toMatchObject({
      code: 'TOO_DEEP',
      message: expect.stringContaining(`deeper than ${DEFINITION_LIMITS.maxDepth} levels`),
    });
    expect(json.errors[0]!.path).toMatch(/^\$\.steps\[0\]\.branches\[0\]\.steps\[0\]\.branches/);
    // JSON is YAML too (flow style); so deep, the YAML parser gives up first: the line and column are named.
    const yaml = parseSource(JSON.stringify(nestedConditions(700)), 'yaml');
    expect(yaml.ok || yaml.errors.map((error) => error.code)).toEqual(['TOO_DEEP']);
    const within = parseSource(JSON.stringify(nestedConditions(40)), 'yaml');
    expect(within.ok || within.errors[0]).toMatchObject({ code: 'TOO_DEEP', path: expect.stringMatching(/^\$\.steps\[0\]\.branches/) });
    // Block style, 40 deep.
    const block = parseSource(stringify(nestedConditions(40)), 'yaml');
    expect(block.ok || block.errors.map((error) => error.code)).toEqual(['TOO_DEEP']);
  });

  it('refuses the same when the definition is given as a value, in validate and compile', () => {
    const errors = validateDefinition(nestedConditions(700), DEFAULT_ENTITIES);
    expect(errors.map((error) => error.code)).toEqual(['TOO_DEEP']);
    expect(() => compileDefinition(nestedConditions(700), DEFAULT_ENTITIES)).toThrow(DefinitionInvalidError);
  });

  it('refuses a NUL in the name at $.name, and a lone surrogate anywhere at its path', () => {
    const nul = parseSource(JSON.stringify({ ...nestedConditions(1), name: 'Bad\u0000name' }), 'json');
    expect(nul).toEqual({
      ok: false,
      errors: [{ path: '$.name', message: 'the text holds a NUL character (\\u0000) at position 3: remove it', code: 'BAD_CHARACTER' }],
    });
    const definition = nestedConditions(1);
    (definition['steps'] as Array<Record<string, unknown>>)[0]!['branches'] = [
      { when: 'true', steps: [{ id: 'leaf', type: 'updateRecord', set: { name: 'a\ud800b' } }] },
    ];
    expect(validateDefinition(definition, DEFAULT_ENTITIES)).toContainEqual({
      path: '$.steps[0].branches[0].steps[0].set.name',
      message: 'the text holds a lone UTF-16 surrogate (\\ud800) at position 1: text must be valid Unicode',
      code: 'BAD_CHARACTER',
    });
  });

  it('refuses a NUL in a key, naming the key with the character replaced', () => {
    expect(checkValueLimits({ set: { 'na\u0000me': 1 } })).toEqual([
      { path: '$.set["na?me"]', message: 'the key holds a NUL character (\\u0000) at position 2: remove it', code: 'BAD_CHARACTER' },
    ]);
  });

  it('keeps surrogate pairs (emoji) and other text as they are', () => {
    expect(badCharacter('Grüße 👋 — ok')).toBeUndefined();
    expect(parseSource(JSON.stringify({ ...nestedConditions(1), name: 'Hello 👋' }), 'json').ok).toBe(true);
  });

  it('refuses a YAML alias bomb (billion laughs) without expanding it', () => {
    const bomb = [
      'schemaVersion: 1',
      'name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      'steps: [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
    ].join('\n');
    const parsed = parseSource(bomb, 'yaml');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors[0]).toMatchObject({ path: '$', code: expect.stringMatching(/^(TOO_MANY_ALIASES|ALIAS_EXPANSION)$/) });
  });

  it('refuses few aliases that expand exponentially, naming the expansion', () => {
    const lines = ['a0: &a0 [x, x]'];
    for (let i = 1; i <= 20; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
    const parsed = parseSource(lines.join('\n'), 'yaml');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors[0]!.code).toMatch(/^(ALIAS_EXPANSION|TOO_LARGE)$/);
  });

  it('still reads a few aliases (anchors reused for shared values)', () => {
    const parsed = parseSource(['shared: &s {name: x}', 'one: *s', 'two: *s'].join('\n'), 'yaml');
    expect(parsed).toEqual({ ok: true, value: { shared: { name: 'x' }, one: { name: 'x' }, two: { name: 'x' } } });
  });

  it('refuses a source over the size limit before parsing it, saying both sizes', () => {
    const text = JSON.stringify({ ...base, description: 'x'.repeat(DEFINITION_LIMITS.maxSourceBytes) });
    const parsed = parseSource(text, 'json');
    expect(parsed).toEqual({
      ok: false,
      errors: [
        {
          path: '$',
          message: `the definition is ${text.length} bytes; it may be at most ${DEFINITION_LIMITS.maxSourceBytes} bytes (see Limits in docs/language.md)`,
          code: 'TOO_LARGE',
        },
      ],
    });
    // An export document of several definitions has a larger limit.
    expect(parseSource(text, 'json', 'export').ok).toBe(true);
  });

  it('refuses a definition of too many values', () => {
    const errors = checkValueLimits({ steps: Array.from({ length: DEFINITION_LIMITS.maxValues }, () => 1) });
    expect(errors).toEqual([expect.objectContaining({ path: '$', code: 'TOO_LARGE' })]);
  });
});
