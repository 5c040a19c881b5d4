/**
 * The limits of the language and the checks of what any text of a definition may hold,
 * applied before anything else reads a definition: its size in bytes, how deep its values
 * nest, how many values it holds (which bounds what YAML aliases can expand to), how many
 * aliases a YAML source uses, and no NUL character or lone UTF-16 surrogate in any key or
 * string (PostgreSQL cannot store the first, UTF-8 cannot carry the second). Each refusal
 * names the path and the limit. The walk is iterative, so no nesting can exhaust the stack.
 */
import type { DefinitionError } from './parse-source';

export const DEFINITION_LIMITS = {
  /** The source text of one definition, in UTF-8 bytes. */
  maxSourceBytes: 512 * 1024,
  /** The source text of an export document (several definitions), in UTF-8 bytes. */
  maxExportBytes: 4 * 1024 * 1024,
  /** Levels of objects and lists, the document itself being level 1 (a condition inside a condition adds 4). */
  maxDepth: 128,
  /** Values of every kind (objects, lists, strings, numbers, ...) in the whole definition, aliases expanded. */
  maxValues: 50_000,
  /** The same, in an export document. */
  maxExportValues: 500_000,
  /** Alias nodes (`*name`) in a YAML source. */
  maxYamlAliases: 100,
} as const;

export type DefinitionLimits = typeof DEFINITION_LIMITS;

/** Where the docs explain the limits. */
const SEE = 'see Limits in docs/language.md';

/** The first NUL or lone surrogate of a text, as a description, or undefined when it is clean. */
export function badCharacter(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return `holds a NUL character (\\u0000) at position ${i}: remove it`;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `holds a lone UTF-16 surrogate (\\u${unit.toString(16)}) at position ${i}: text must be valid Unicode`;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff)
      return `holds a lone UTF-16 surrogate (\\u${unit.toString(16)}) at position ${i}: text must be valid Unicode`;
  }
  return undefined;
}

/** A text as shown in a message or a path: NULs and surrogates (paired or not) as `?`. */
export const printableText = (text: string): string =>
  Array.from(text, (character) => (character === '\u0000' || /\p{Cs}/u.test(character) ? '?' : character)).join('');

/** The first NUL or lone surrogate in any text or key of a value, as a description (iterative: no nesting exhausts the stack). */
export function badTextIn(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === 'string') {
      const problem = badCharacter(current);
      if (problem) return problem;
    } else if (Array.isArray(current)) pending.push(...(current as unknown[]));
    else if (current !== null && typeof current === 'object')
      for (const [key, item] of Object.entries(current)) {
        const problem = badCharacter(key);
        if (problem) return `has a key that ${problem}`;
        pending.push(item);
      }
  }
  return undefined;
}

const keyPath = (path: string, key: string) => (/^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

/** The length of a text in UTF-8 bytes (a lone surrogate counts as the 3 bytes of its replacement). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The size of a source text, before it is parsed: one definition, or an export document of several. */
export function checkSourceSize(
  text: string,
  kind: 'definition' | 'export' = 'definition',
  limits: DefinitionLimits = DEFINITION_LIMITS,
): DefinitionError[] {
  const max = kind === 'definition' ? limits.maxSourceBytes : limits.maxExportBytes;
  // Cheap bound first: a text of n UTF-16 units is at most 3n bytes.
  if (text.length * 3 <= max) return [];
  const bytes = utf8Length(text);
  if (bytes <= max) return [];
  return [
    {
      path: '$',
      message: `the ${kind === 'definition' ? 'definition' : 'export document'} is ${bytes} bytes; it may be at most ${max} bytes (${SEE})`,
      code: 'TOO_LARGE',
    },
  ];
}

/**
 * Every bad character, and the first value nested too deep or over the count, of a parsed
 * definition. A value over a limit stops the walk: nothing deeper is read.
 */
export function checkValueLimits(
  value: unknown,
  kind: 'definition' | 'export' = 'definition',
  limits: DefinitionLimits = DEFINITION_LIMITS,
): DefinitionError[] {
  const maxValues = kind === 'definition' ? limits.maxValues : limits.maxExportValues;
  // An export document holds its definitions two levels down: $.definitions[i].
  const maxDepth = kind === 'definition' ? limits.maxDepth : limits.maxDepth + 2;
  const errors: DefinitionError[] = [];
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '$', depth: 1 }];
  let count = 0;
  while (pending.length > 0) {
    const { value: current, path, depth } = pending.pop()!;
    count++;
    if (count > maxValues) {
      errors.push({
        path: '$',
        message: `the ${kind === 'definition' ? 'definition' : 'export document'} holds more than ${maxValues} values (YAML aliases counted as expanded) (${SEE})`,
        code: 'TOO_LARGE',
      });
      break;
    }
    if (typeof current === 'string') {
      const problem = badCharacter(current);
      if (problem) errors.push({ path, message: `the text ${problem}`, code: 'BAD_CHARACTER' });
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth > maxDepth) {
      errors.push({
        path,
        message: `nested deeper than ${limits.maxDepth} levels of objects and lists (${SEE}): flatten the steps, e.g. with a stage or a child workflow`,
        code: 'TOO_DEEP',
      });
      break;
    }
    const children: Array<{ value: unknown; path: string; depth: number }> = [];
    if (Array.isArray(current))
      current.forEach((item, index) => children.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 }));
    else
      for (const [key, item] of Object.entries(current)) {
        const problem = badCharacter(key);
        const at = keyPath(path, problem ? printableText(key) : key);
        if (problem) errors.push({ path: at, message: `the key ${problem}`, code: 'BAD_CHARACTER' });
        children.push({ value: item, path: at, depth: depth + 1 });
      }
    // Reversed onto the stack, so errors come in document order.
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
  }
  return errors;
}
