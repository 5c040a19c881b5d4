/** `flowline defs`: validate and deploy folders of definitions; list, read, move and (de)activate them. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { RegistryProto } from '@flowline/rpc';
import { withContext, type Context } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { definitionHash, deployOrder, formatOf, lineOf, readDefinitionFiles, type DefinitionFile } from '../definition-files';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ref = (idOrName: string) => (UUID.test(idOrName) ? { id: idOrName, uniqueName: '' } : { id: '', uniqueName: idOrName });
const protoFormat = (format: 'json' | 'yaml') =>
  format === 'yaml' ? RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML : RegistryProto.DefinitionFormat.DEFINITION_FORMAT_JSON;
const stateName = (state: number) => (state === RegistryProto.DefinitionState.DEFINITION_STATE_ACTIVATED ? 'Activated' : 'Draft');
const categoryName = (category: number) => (category === 1 ? 'dialog' : 'workflow');

interface FileProblem {
  file: string;
  path: string;
  line: number | undefined;
  message: string;
  code: string;
}

/** Asks the registry to validate every file; answers every problem with its file, path and line. */
async function validateAll(context: Context, files: DefinitionFile[]): Promise<FileProblem[]> {
  const client = context.conn.grpc('definitions');
  const problems: FileProblem[] = [];
  for (const file of files) {
    const answer = await client.validateDefinition({ source: file.source, format: protoFormat(file.format) });
    for (const violation of answer.violations) {
      problems.push({ file: file.file, path: violation.field, line: lineOf(file.source, violation.field, violation.description), message: violation.description, code: violation.code });
    }
  }
  // Two files with one unique name would overwrite each other.
  const seen = new Map<string, string>();
  for (const file of files) {
    if (!file.uniqueName) continue;
    const other = seen.get(file.uniqueName);
    if (other) problems.push({ file: file.file, path: '$.uniqueName', line: lineOf(file.source, '$.uniqueName'), message: `'${file.uniqueName}' is also the unique name in ${other}`, code: 'DUPLICATE_UNIQUE_NAME' });
    else seen.set(file.uniqueName, file.file);
  }
  return problems;
}

function printProblems(context: Context, files: DefinitionFile[], problems: FileProblem[]): void {
  const bad = new Set(problems.map((problem) => problem.file));
  for (const file of files) {
    if (!bad.has(file.file)) context.out.line(`ok       ${file.file}${file.uniqueName ? ` (${file.uniqueName})` : ''}`);
  }
  for (const problem of problems) {
    context.out.line(`invalid  ${problem.file}${problem.line ? `:${problem.line}` : ''}  ${problem.path}  ${problem.message} [${problem.code}]`);
  }
  context.out.line(`${files.length - bad.size} of ${files.length} file(s) valid${problems.length ? `, ${problems.length} problem(s)` : ''}`);
}

async function validate(context: Context, dir: string): Promise<void> {
  const files = readDefinitionFiles(dir);
  const problems = await validateAll(context, files);
  context.out.result({ valid: problems.length === 0, files: files.map((file) => file.file), problems }, () => printProblems(context, files, problems));
  if (problems.length > 0) throw new CliError('', ExitCode.failed, 'DEFINITION_INVALID');
}

/** The source the registry keeps is JSON text. */
function parseStored(source: string): unknown {
  try {
    return JSON.parse(source) as unknown;
  } catch {
    return undefined;
  }
}

type Change = { file: string; uniqueName: string; change: 'created' | 'updated' | 'activated' | 'unchanged'; version: number; contentHash: string };

async function deploy(context: Context, dir: string, options: { dryRun?: boolean }): Promise<void> {
  const files = readDefinitionFiles(dir);
  const problems = await validateAll(context, files);
  if (problems.length > 0) {
    context.out.result({ deployed: false, problems }, () => {
      printProblems(context, files, problems);
      context.out.line('nothing was deployed: fix the files above and deploy again');
    });
    throw new CliError('', ExitCode.failed, 'DEFINITION_INVALID');
  }
  const client = context.conn.grpc('definitions');
  const changes: Change[] = [];
  for (const file of deployOrder(files)) {
    const uniqueName = file.uniqueName!;
    const existing = await client.getDefinition({ ref: ref(uniqueName) }).catch((error: unknown) => {
      if (error instanceof CliError && error.code === 'DEFINITION_NOT_FOUND') return undefined;
      throw error;
    });
    const activated = existing?.state === RegistryProto.DefinitionState.DEFINITION_STATE_ACTIVATED;
    if (existing && activated && definitionHash(parseStored(existing.source)) === file.contentHash) {
      changes.push({ file: file.file, uniqueName, change: 'unchanged', version: existing.activeVersion, contentHash: file.contentHash ?? '' });
      continue;
    }
    const change: Change['change'] = !existing ? 'created' : activated ? 'updated' : 'activated';
    if (options.dryRun) {
      changes.push({ file: file.file, uniqueName, change, version: (existing?.latestVersion ?? 0) + 1, contentHash: file.contentHash ?? '' });
      continue;
    }
    if (activated) await client.deactivateDefinition({ ref: ref(uniqueName) });
    const saved = await client.saveDefinition({ source: file.source, format: protoFormat(file.format), id: existing?.id ?? '', expectedRowVersion: 0 });
    const version = await client.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
    changes.push({ file: file.file, uniqueName, change, version: version.version, contentHash: version.contentHash });
  }
  const changed = changes.filter((change) => change.change !== 'unchanged').length;
  context.out.result({ deployed: !options.dryRun, changed, changes }, () => {
    context.out.table(
      ['definition', 'change', 'version', 'file'],
      changes.map((change) => [change.uniqueName, options.dryRun && change.change !== 'unchanged' ? `would be ${change.change}` : change.change, change.version, change.file]),
    );
    context.out.line(changed === 0 ? 'nothing changed' : `${changed} of ${changes.length} definition(s) ${options.dryRun ? 'would change' : 'changed'}`);
  });
}

async function list(context: Context, options: { state?: string; category?: string; entity?: string; name?: string; pageSize?: string; pageToken?: string }): Promise<void> {
  const state = options.state === undefined ? undefined : ({ draft: 0, activated: 1, '0': 0, '1': 1 } as Record<string, number>)[options.state.toLowerCase()];
  if (options.state !== undefined && state === undefined) throw usageError(`--state expected draft or activated, got '${options.state}'`);
  const category = options.category === undefined ? undefined : ({ workflow: 0, dialog: 1, '0': 0, '1': 1 } as Record<string, number>)[options.category.toLowerCase()];
  if (options.category !== undefined && category === undefined) throw usageError(`--category expected workflow or dialog, got '${options.category}'`);
  const answer = await context.conn.grpc('definitions').listDefinitions({
    page: { pageSize: Number(options.pageSize ?? 100), pageToken: options.pageToken ?? '' },
    filterByState: state !== undefined,
    state: state ?? 0,
    filterByCategory: category !== undefined,
    category: category ?? 0,
    primaryEntity: options.entity ?? '',
    nameContains: options.name ?? '',
  });
  const definitions = answer.definitions.map(({ source: _source, ...rest }) => rest);
  context.out.result({ definitions, nextPageToken: answer.page?.nextPageToken ?? '', totalCount: answer.page?.totalCount ?? 0 }, () => {
    context.out.table(
      ['unique name', 'name', 'category', 'entity', 'state', 'active', 'latest', 'modified'],
      answer.definitions.map((d) => [d.uniqueName, d.name, categoryName(d.category), d.primaryEntity, stateName(d.state), d.activeVersion || '', d.latestVersion || '', d.modifiedOn]),
    );
    if (answer.page?.nextPageToken) context.out.line(`more: --page-token ${answer.page.nextPageToken}`);
  });
}

async function get(context: Context, idOrName: string, options: { source?: boolean }): Promise<void> {
  const definition = await context.conn.grpc('definitions').getDefinition({ ref: ref(idOrName) });
  if (options.source) {
    context.out.line(definition.source);
    return;
  }
  context.out.result(definition, () =>
    context.out.fields({
      id: definition.id,
      'unique name': definition.uniqueName,
      name: definition.name,
      description: definition.description,
      category: categoryName(definition.category),
      entity: definition.primaryEntity,
      state: stateName(definition.state),
      'active version': definition.activeVersion || '',
      'latest version': definition.latestVersion || '',
      'row version': definition.rowVersion,
      'modified': `${definition.modifiedOn} by ${definition.modifiedBy}`,
    }),
  );
}

async function versions(context: Context, idOrName: string): Promise<void> {
  const client = context.conn.grpc('definitions');
  const definition = await client.getDefinition({ ref: ref(idOrName) });
  const found: RegistryProto.DefinitionVersion[] = [];
  for (let version = definition.latestVersion; version >= 1; version--) found.push(await client.getDefinitionVersion({ ref: ref(definition.id), version }));
  const rows = found.map(({ compiled: _compiled, ...rest }) => rest);
  context.out.result(rows, () =>
    context.out.table(
      ['version', 'content hash', 'activated', 'by', 'deactivated'],
      found.map((v) => [v.version, v.contentHash.slice(0, 12), v.activatedOn, v.activatedBy, v.deactivatedOn || (v.version === definition.activeVersion ? 'active' : '')]),
    ),
  );
}

async function exportDefinitions(context: Context, names: string[], options: { format: string; out?: string }): Promise<void> {
  if (options.format !== 'yaml' && options.format !== 'json') throw usageError(`--format expected yaml or json, got '${options.format}'`);
  const answer = await context.conn.grpc('definitions').exportDefinitions({ uniqueNames: names, format: protoFormat(options.format) });
  if (options.out) {
    writeFileSync(options.out, answer.document);
    context.out.note(`wrote ${options.out}`);
  } else process.stdout.write(answer.document.endsWith('\n') ? answer.document : `${answer.document}\n`);
}

async function importDefinitions(context: Context, file: string, options: { activate?: boolean }): Promise<void> {
  let document: string;
  try {
    document = readFileSync(file, 'utf8');
  } catch {
    throw usageError(`${file} cannot be read: give an export document (flowline defs export --out FILE)`);
  }
  const answer = await context.conn.grpc('definitions').importDefinitions({ document, format: protoFormat(formatOf(file)), activate: options.activate === true });
  const rows = answer.definitions.map(({ source: _source, ...rest }) => rest);
  context.out.result(rows, () =>
    context.out.table(['unique name', 'state', 'active version'], answer.definitions.map((d) => [d.uniqueName, stateName(d.state), d.activeVersion || ''])),
  );
}

async function activate(context: Context, idOrName: string): Promise<void> {
  const version = await context.conn.grpc('definitions').activateDefinition({ ref: ref(idOrName) });
  const { compiled: _compiled, ...rest } = version;
  context.out.result(rest, () => context.out.line(`${version.uniqueName} activated as version ${version.version} (content hash ${version.contentHash.slice(0, 12)})`));
}

async function deactivate(context: Context, idOrName: string): Promise<void> {
  const definition = await context.conn.grpc('definitions').deactivateDefinition({ ref: ref(idOrName) });
  const { source: _source, ...rest } = definition;
  context.out.result(rest, () => context.out.line(`${definition.uniqueName} deactivated: it is a Draft again (version ${definition.latestVersion} stays readable)`));
}

export function defsCommand(program: Command): void {
  const defs = program.command('defs').description('process definitions: validate and deploy folders, list, read, export, import, activate, deactivate');
  defs
    .command('validate')
    .description('validate every .yaml, .yml and .json file under DIR with the registry; every error with its file, path and line')
    .argument('<dir>', 'a folder of definition files, or one file')
    .action(withContext(validate));
  defs
    .command('deploy')
    .description('validate DIR, then save and activate each definition whose content hash differs from its active version; prints what changed')
    .argument('<dir>', 'a folder of definition files, or one file')
    .option('--dry-run', 'show what would change, change nothing')
    .action(withContext(deploy));
  defs
    .command('list')
    .description('list definitions')
    .option('--state <state>', 'draft or activated')
    .option('--category <category>', 'workflow or dialog')
    .option('--entity <entity>', 'primary entity')
    .option('--name <text>', 'name or unique name contains')
    .option('--page-size <n>', 'definitions per page', '100')
    .option('--page-token <token>', 'the next page, as printed')
    .action(withContext(list));
  defs.command('get').description('show one definition').argument('<idOrName>', 'id or unique name').option('--source', 'print its source only').action(withContext(get));
  defs.command('versions').description('list the activated versions of a definition, newest first').argument('<idOrName>', 'id or unique name').action(withContext(versions));
  defs
    .command('export')
    .description('export definitions (all when no name is given) as one document')
    .argument('[uniqueNames...]', 'unique names')
    .option('--format <format>', 'yaml or json', 'yaml')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(withContext(exportDefinitions));
  defs
    .command('import')
    .description('import an export document')
    .argument('<file>', 'a .yaml or .json export document')
    .option('--activate', 'activate what was imported')
    .action(withContext(importDefinitions));
  defs.command('activate').description('activate a Draft into a new numbered version').argument('<idOrName>', 'id or unique name').action(withContext(activate));
  defs.command('deactivate').description('deactivate: back to Draft; running jobs keep their version').argument('<idOrName>', 'id or unique name').action(withContext(deactivate));
}
