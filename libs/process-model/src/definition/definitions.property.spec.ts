/**
 * Property-based: whatever text or value arrives, parsing, validation and compilation answer
 * with a value or with refusals that each name a path; they never throw anything else.
 * Bounded runs; FLOWLINE_FC_SEED replays a failing run (fast-check prints the seed it used).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { DEFAULT_ENTITIES } from '@flowline/contracts';
import { compileDefinition, DefinitionInvalidError } from './compile';
import { parseSource, type DefinitionError } from './parse-source';
import { validateDefinition } from './validate';

const seed = process.env['FLOWLINE_FC_SEED'];
const runs = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(seed ? { seed: Number(seed) } : {}) });

const EXAMPLES = path.resolve(__dirname, '../../../../examples');
const examples = [
  'account-onboarding.workflow.yaml',
  'case-escalation.workflow.yaml',
  'credit-check.workflow.yaml',
  'customer-survey.dialog.yaml',
].map((file) => {
  const parsed = parseSource(readFileSync(path.join(EXAMPLES, file), 'utf8'), 'yaml');
  if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
  return parsed.value as Record<string, unknown>;
});

function expectRefusals(errors: readonly DefinitionError[]): void {
  for (const error of errors) {
    expect(error.path).toMatch(/^\$/);
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    expect(typeof error.code).toBe('string');
  }
}

/** Validates and compiles; a throw other than DefinitionInvalidError (with its paths) fails the property. */
function validateAndCompile(value: unknown): void {
  const errors = validateDefinition(value, DEFAULT_ENTITIES);
  expectRefusals(errors);
  try {
    compileDefinition(value, DEFAULT_ENTITIES);
    expect(errors).toEqual([]);
  } catch (error) {
    if (!(error instanceof DefinitionInvalidError)) throw error;
    expect(error.errors.length).toBeGreaterThan(0);
    expectRefusals(error.errors);
  }
}

/** Text with the characters that break things: NUL, lone surrogates, YAML and JSON syntax. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', '\ud800', '\udfff', '={{', '{{record.', '=record.', '*a', '&a', ': ', '- ', '"', "'", '\n', '{', '['),
);

/** Any JSON-like value, with the nasty strings inside. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nastyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A copy of `value` with the thing at a random path replaced. */
function mutate(value: unknown, choices: number[], replacement: unknown): unknown {
  if (choices.length === 0 || value === null || typeof value !== 'object') return replacement;
  const [choice, ...rest] = choices as [number, ...number[]];
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const index = choice % value.length;
    return value.map((item, i) => (i === index ? mutate(item, rest, replacement) : item));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[choice % keys.length]!;
  return { ...(value as Record<string, unknown>), [key]: mutate((value as Record<string, unknown>)[key], rest, replacement) };
}

describe('definitions, property-based: a value or refusals with paths, never a throw', () => {
  it('parses any text as JSON and as YAML without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          anyValue.map((value) => JSON.stringify(value) ?? ''),
        ),
        (text) => {
          for (const format of ['json', 'yaml'] as const) {
            const parsed = parseSource(text, format);
            if (!parsed.ok) {
              expect(parsed.errors.length).toBeGreaterThan(0);
              expectRefusals(parsed.errors);
            } else validateAndCompile(parsed.value);
          }
        },
      ),
      runs(200),
    );
  });

  it('validates and compiles any value without throwing', () => {
    fc.assert(
      fc.property(anyValue, (value) => validateAndCompile(value)),
      runs(300),
    );
  });

  it('validates and compiles the examples with any part replaced by anything, through JSON and YAML', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        anyValue,
        (example, choices, replacement) => {
          const mutated = mutate(example, choices, replacement);
          validateAndCompile(mutated);
          const json = parseSource(JSON.stringify(mutated), 'json');
          if (json.ok) validateAndCompile(json.value);
          else expectRefusals(json.errors);
          let yaml: string;
          try {
            yaml = stringify(mutated);
          } catch {
            return; // not representable as YAML text: nothing to parse
          }
          const parsed = parseSource(yaml, 'yaml');
          if (parsed.ok) validateAndCompile(parsed.value);
          else expectRefusals(parsed.errors);
        },
      ),
      runs(100),
    );
  });

  it('refuses every NUL or lone surrogate placed anywhere in an example, at a path', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('a\u0000b', '\ud800', 'x\udc00'),
        (example, choices, bad) => {
          const errors = validateDefinition(mutate(example, choices, bad), DEFAULT_ENTITIES);
          expect(errors.some((error) => error.code === 'BAD_CHARACTER' && error.path.startsWith('$'))).toBe(true);
        },
      ),
      runs(200),
    );
  });
});
