/**
 * Reading an authored definition from JSON or YAML text, with the line and column of a
 * syntax error so an author can find it, within the limits of the language (limits.ts):
 * size, nesting, value count, YAML aliases, and no NUL or lone surrogate in any text. Never
 * throws: whatever the text, the answer is a value or refusals with their paths.
 */
import { parseDocument, visit } from 'yaml';
import { checkSourceSize, checkValueLimits, DEFINITION_LIMITS } from './limits';

export interface DefinitionError {
  /** JSON path into the definition, `$` for the whole document. */
  path: string;
  message: string;
  code: string;
}

export type SourceFormat = 'json' | 'yaml';

export type ParsedSource = { ok: true; value: unknown } | { ok: false; errors: DefinitionError[] };

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** What a source holds: one definition, or an export document of several (larger limits). */
export type SourceKind = 'definition' | 'export';

export function parseSource(text: string, format: SourceFormat, kind: SourceKind = 'definition'): ParsedSource {
  const tooLarge = checkSourceSize(text, kind);
  if (tooLarge.length > 0) return { ok: false, errors: tooLarge };
  if (!text.trim()) return { ok: false, errors: [{ path: '$', message: 'the definition is empty', code: 'EMPTY' }] };
  let parsed: ParsedSource;
  try {
    parsed = format === 'json' ? parseJson(text) : parseYaml(text);
  } catch (error) {
    // A parser that gives up (its own stack on absurd nesting): a refusal, never a crash.
    if (error instanceof RangeError) return { ok: false, errors: [tooDeepToRead()] };
    const message = (error as Error).message;
    return {
      ok: false,
      errors: [{ path: '$', message: `the definition cannot be read: ${message} (see Limits in docs/language.md)`, code: 'SYNTAX' }],
    };
  }
  if (!parsed.ok) return parsed;
  const errors = checkValueLimits(parsed.value, kind);
  return errors.length > 0 ? { ok: false, errors } : parsed;
}

/** Nesting so deep the parser itself gives up, long before the language's limit is reached. */
function tooDeepToRead(where?: { line: number; column: number }): DefinitionError {
  return {
    path: '$',
    message: `the definition is nested too deeply to read${where ? ` (at line ${where.line}, column ${where.column})` : ''}: at most ${DEFINITION_LIMITS.maxDepth} levels of objects and lists are allowed (see Limits in docs/language.md)`,
    code: 'TOO_DEEP',
  };
}

function parseJson(text: string): ParsedSource {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const where = position ? lineAndColumn(text, Number(position[1])) : undefined;
    return {
      ok: false,
      errors: [
        {
          path: '$',
          message: `not valid JSON${where ? ` at line ${where.line}, column ${where.column}` : ''}: ${message.replace(/ in JSON at position \d+.*$/, '')}`,
          code: 'SYNTAX',
        },
      ],
    };
  }
}

function parseYaml(text: string): ParsedSource {
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const where = lineAndColumn(text, error.pos[0]);
        if (/Maximum call stack/.test(error.message)) return tooDeepToRead(where);
        return {
          path: '$',
          message: `not valid YAML at line ${where.line}, column ${where.column}: ${error.message.split('\n')[0]}`,
          code: 'SYNTAX',
        };
      }),
    };
  }
  let aliases = 0;
  visit(document, {
    Alias() {
      aliases++;
    },
  });
  if (aliases > DEFINITION_LIMITS.maxYamlAliases) {
    return {
      ok: false,
      errors: [
        {
          path: '$',
          message: `the YAML uses ${aliases} aliases (*name); at most ${DEFINITION_LIMITS.maxYamlAliases} are allowed (see Limits in docs/language.md)`,
          code: 'TOO_MANY_ALIASES',
        },
      ],
    };
  }
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: DEFINITION_LIMITS.maxYamlAliases }) as unknown };
  } catch (error) {
    if (error instanceof ReferenceError) {
      // The yaml package's guard against aliases of aliases expanding exponentially, or an alias to nothing.
      return {
        ok: false,
        errors: [
          {
            path: '$',
            message: `the YAML's aliases cannot be expanded: ${error.message} (at most ${DEFINITION_LIMITS.maxYamlAliases} expansions; see Limits in docs/language.md)`,
            code: 'ALIAS_EXPANSION',
          },
        ],
      };
    }
    throw error;
  }
}
