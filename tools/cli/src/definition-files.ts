/**
 * Definition files of a folder: their format, unique name, content hash (the registry's own:
 * sha256 of the canonical JSON of the parsed definition) and the line of a violation's path.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { canonicalJson, childNames, DefinitionSchema, parseSource, type SourceFormat } from '@flowline/process-model';
import { CliError, ExitCode } from './errors';

export interface DefinitionFile {
  file: string;
  format: SourceFormat;
  source: string;
  /** The parsed value, when the file parses. */
  value: Record<string, unknown> | undefined;
  uniqueName: string | undefined;
  /** SHA-256 of the canonical JSON of the parsed definition, when it parses (definitionHash). */
  contentHash: string | undefined;
  /** Unique names of the workflows and dialogs it starts (deployed before it). */
  children: string[];
}

const EXTENSIONS: Record<string, SourceFormat> = { '.yaml': 'yaml', '.yml': 'yaml', '.json': 'json' };

export function formatOf(file: string): SourceFormat {
  const format = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!format) throw new CliError(`${file}: expected a .yaml, .yml or .json file`, ExitCode.usage, 'USAGE');
  return format;
}

/** Every .yaml, .yml and .json file under the folder (or the one file given), sorted by path. */
export function readDefinitionFiles(target: string): DefinitionFile[] {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new CliError(`${target} does not exist: give a folder of definition files (or one file)`, ExitCode.usage, 'USAGE');
  }
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.')) walk(full);
      else if (entry.isFile() && EXTENSIONS[path.extname(entry.name).toLowerCase()]) files.push(full);
    }
  };
  if (stat.isDirectory()) walk(target);
  else files.push(target);
  if (files.length === 0) throw new CliError(`${target} holds no .yaml, .yml or .json files`, ExitCode.usage, 'USAGE');
  return files.map(readDefinitionFile);
}

function readDefinitionFile(file: string): DefinitionFile {
  const format = formatOf(file);
  const source = readFileSync(file, 'utf8');
  const parsed = parseSource(source, format);
  const value = parsed.ok && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value) ? (parsed.value as Record<string, unknown>) : undefined;
  return {
    file,
    format,
    source,
    value,
    uniqueName: typeof value?.['uniqueName'] === 'string' ? value['uniqueName'] : undefined,
    contentHash: value ? definitionHash(value) : undefined,
    children: value ? childNames(value) : [],
  };
}

/**
 * The hash deploy compares: SHA-256 of the canonical JSON of the definition as the language
 * reads it (defaults filled in), so formatting, comments, key order and YAML or JSON make no
 * difference. The registry keeps each definition's source, so the same hash of the source it
 * holds says whether a file changed (a version's own content hash also covers what the
 * metadata resolved, e.g. a dialog's options from a query, so it is not compared).
 */
export function definitionHash(value: unknown): string | undefined {
  const typed = DefinitionSchema.safeParse(value);
  return typed.success ? createHash('sha256').update(canonicalJson(typed.data)).digest('hex') : undefined;
}

/** `$.steps[1].then[0].id` -> ['steps', 1, 'then', 0, 'id']. */
export function pathSegments(jsonPath: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\["([^"]+)"\]|\['([^']+)'\]/g;
  for (const match of jsonPath.replace(/^\$/, '').matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3] ?? match[4]!);
  }
  return segments;
}

/**
 * The line (1-based) where a violation's path is in the source: the deepest part of the path
 * the document has (a missing field is reported at the object that lacks it). JSON is YAML, so
 * one parser serves both. Undefined when the text does not parse.
 */
export function lineOf(source: string, jsonPath: string, message = ''): number | undefined {
  const messagePosition = /at line (\d+)/.exec(message);
  if (messagePosition) return Number(messagePosition[1]);
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, uniqueKeys: false });
  if (document.errors.length > 0) return undefined;
  const segments = pathSegments(jsonPath);
  for (let length = segments.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(segments.slice(0, length), true);
    if (isNode(node) && node.range) {
      // A key's line is better than its value's (a nested block starts on the next line).
      if (length > 0) {
        const parent = length === 1 ? document.contents : document.getIn(segments.slice(0, length - 1), true);
        const items = (parent as { items?: Array<{ key?: { value?: unknown; range?: [number, number, number] }; value?: unknown }> } | null)?.items;
        const pair = items?.find((item) => item.value === node && item.key?.range);
        if (pair?.key?.range) return lineCounter.linePos(pair.key.range[0]).line;
      }
      return lineCounter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/** Children before the definitions that start them; otherwise the files' order. */
export function deployOrder(files: DefinitionFile[]): DefinitionFile[] {
  const byName = new Map(files.filter((file) => file.uniqueName).map((file) => [file.uniqueName!, file]));
  const ordered: DefinitionFile[] = [];
  const seen = new Set<DefinitionFile>();
  const visit = (file: DefinitionFile, trail: Set<DefinitionFile>) => {
    if (seen.has(file) || trail.has(file)) return;
    trail.add(file);
    for (const child of file.children) {
      const childFile = byName.get(child);
      if (childFile && childFile !== file) visit(childFile, trail);
    }
    seen.add(file);
    ordered.push(file);
  };
  for (const file of files) visit(file, new Set());
  return ordered;
}
