/**
 * Reading an authored definition from JSON or YAML text, with the line and column of a
 * syntax error so an author can find it.
 */
import { parseDocument } from 'yaml';

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

export function parseSource(text: string, format: SourceFormat): ParsedSource {
  if (!text.trim()) return { ok: false, errors: [{ path: '$', message: 'the definition is empty', code: 'EMPTY' }] };
  if (format === 'json') {
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
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const where = lineAndColumn(text, error.pos[0]);
        return {
          path: '$',
          message: `not valid YAML at line ${where.line}, column ${where.column}: ${error.message.split('\n')[0]}`,
          code: 'SYNTAX',
        };
      }),
    };
  }
  return { ok: true, value: document.toJS() as unknown };
}
