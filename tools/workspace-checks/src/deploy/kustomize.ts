/**
 * A small, strict stand-in for `kustomize build`, for tests only: no kustomize binary runs on
 * these machines. It supports the fields deploy/k8s uses or an operator adds first (resources,
 * namespace, replicas, images, patches with strategic-merge documents and an optional target) and
 * refuses any other field,
 * so a kustomization that grows a feature this builder does not know fails the tests instead of
 * being half-built.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const KustomizationSchema = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  namespace: z.string().min(1).optional(),
  resources: z.array(z.string().min(1)).min(1),
  replicas: z.array(z.strictObject({ name: z.string().min(1), count: z.number().int().min(0) })).optional(),
  images: z
    .array(z.strictObject({ name: z.string().min(1), newName: z.string().min(1).optional(), newTag: z.string().min(1).optional() }))
    .optional(),
  patches: z
    .array(
      z.strictObject({
        path: z.string().min(1),
        target: z
          .strictObject({
            group: z.string().optional(),
            version: z.string().optional(),
            kind: z.string().optional(),
            name: z.string().optional(),
          })
          .optional(),
      }),
    )
    .optional(),
});

export type Kustomization = z.infer<typeof KustomizationSchema>;

/** Every YAML document of a file (empty documents skipped); a YAML error throws with the file name. */
export function readYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  const list = Array.isArray(documents) ? documents : [documents];
  const values: unknown[] = [];
  for (const document of list) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = document.toJS({ maxAliasCount: 0 });
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

export function readKustomization(directory: string): Kustomization {
  const file = path.join(directory, 'kustomization.yaml');
  const [value, ...rest] = readYamlDocuments(file);
  if (rest.length > 0) throw new Error(`${file}: one document expected`);
  const parsed = KustomizationSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function asObject(value: unknown, where: string): K8sObject {
  const object = value as Partial<K8sObject> | null;
  if (!object || typeof object !== 'object' || Array.isArray(object)) throw new Error(`${where}: not a mapping`);
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
    throw new Error(`${where}: apiVersion, kind and metadata.name are required`);
  }
  return object as K8sObject;
}

export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
export const idOf = (o: K8sObject): string => `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Kinds whose patches kustomize merges as strategic-merge patches; other kinds (CRDs) get JSON merge patches. */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'policy', 'networking.k8s.io', 'autoscaling']);
const CLUSTER_SCOPED_KINDS = new Set(['Namespace']);
/** Lists merged element by element under strategic merge, by their merge key. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  imagePullSecrets: 'name',
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeKeyFor(field: string, base: Json[], patch: Json[]): string | undefined {
  if (field === 'ports') {
    // Container ports merge on containerPort, Service ports on port.
    return [...base, ...patch].every((item) => isObject(item) && 'containerPort' in item) ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

/** RFC 7386 JSON merge patch, or the strategic merge kustomize applies to built-in kinds. */
export function mergePatch(base: Json, patch: Json, strategic: boolean, field = ''): Json {
  if (!isObject(patch)) {
    if (Array.isArray(patch) && Array.isArray(base) && strategic) {
      const key = mergeKeyFor(field, base, patch);
      if (key) {
        const merged = base.map((item) => structuredClone(item));
        for (const item of patch) {
          if (!isObject(item) || item[key] === undefined) throw new Error(`strategic merge: an element of ${field} lacks its key ${key}`);
          const index = merged.findIndex((existing) => isObject(existing) && existing[key] === item[key]);
          if (index >= 0) merged[index] = mergePatch(merged[index]!, item, strategic, field);
          else merged.push(structuredClone(item));
        }
        return merged;
      }
    }
    return structuredClone(patch);
  }
  const result: JsonObject = isObject(base) ? structuredClone(base) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) throw new Error(`patch directive ${key} is not supported by the test builder`);
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key] ?? null, value, strategic, key);
  }
  return result;
}

/** `kustomize build <directory>` for the subset of kustomize deploy/k8s uses. */
export function kustomizeBuild(directory: string): K8sObject[] {
  const kustomization = readKustomization(directory);
  const objects: K8sObject[] = [];
  for (const resource of kustomization.resources) {
    const target = path.resolve(directory, resource);
    if (!existsSync(target)) throw new Error(`${directory}: resource ${resource} does not exist`);
    if (statSync(target).isDirectory()) objects.push(...kustomizeBuild(target));
    else readYamlDocuments(target).forEach((value, index) => objects.push(asObject(value, `${target} #${index + 1}`)));
  }

  for (const entry of kustomization.patches ?? []) {
    const file = path.resolve(directory, entry.path);
    const documents = readYamlDocuments(file);
    if (documents.length !== 1) throw new Error(`${file}: one patch document per file`);
    const patch = asObject(documents[0], file);
    const target = entry.target ?? { group: groupOf(patch.apiVersion), kind: patch.kind, name: patch.metadata.name };
    const matches = objects.filter(
      (o) =>
        (target.group === undefined || groupOf(o.apiVersion) === target.group) &&
        (target.version === undefined || o.apiVersion.endsWith(`/${target.version}`) || o.apiVersion === target.version) &&
        (target.kind === undefined || o.kind === target.kind) &&
        (target.name === undefined || o.metadata.name === target.name),
    );
    if (matches.length === 0) throw new Error(`${file}: the patch matches no resource`);
    // With a target, the patch's own name is a placeholder (kustomize ignores it).
    const body = structuredClone(patch) as unknown as JsonObject;
    const metadata = body['metadata'] as JsonObject;
    delete metadata['name'];
    delete metadata['namespace'];
    if (Object.keys(metadata).length === 0) delete body['metadata'];
    for (const match of matches) {
      const merged = mergePatch(match as unknown as Json, body, BUILT_IN_GROUPS.has(groupOf(match.apiVersion)));
      objects[objects.indexOf(match)] = asObject(merged, file);
    }
  }

  if (kustomization.namespace) {
    for (const o of objects) {
      if (o.kind === 'Namespace') o.metadata.name = kustomization.namespace;
      else if (!CLUSTER_SCOPED_KINDS.has(o.kind)) o.metadata.namespace = kustomization.namespace;
    }
  }

  for (const { name, count } of kustomization.replicas ?? []) {
    const targets = objects.filter((o) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(o.kind) && o.metadata.name === name);
    if (targets.length === 0) throw new Error(`${directory}: replicas for ${name}, which is no workload`);
    for (const o of targets) (o['spec'] as { replicas?: number }).replicas = count;
  }

  for (const { name, newName, newTag } of kustomization.images ?? []) {
    let used = false;
    for (const o of objects) {
      const pod = (
        o['spec'] as { template?: { spec?: { containers?: Array<{ image: string }>; initContainers?: Array<{ image: string }> } } }
      )?.template?.spec;
      for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
        const [, image, tag] = /^(.*?)(?::([^:/]+))?$/.exec(container.image)!;
        if (image !== name) continue;
        const newImageTag = newTag ?? tag;
        container.image = `${newName ?? image}${newImageTag ? `:${newImageTag}` : ''}`;
        used = true;
      }
    }
    if (!used) throw new Error(`${directory}: images entry ${name} matches no container`);
  }

  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(idOf(o))) throw new Error(`${directory}: ${idOf(o)} is defined twice`);
    seen.add(idOf(o));
  }
  return objects;
}
