/**
 * The Prometheus metrics Flowline exposes, as the code declares them: prom-client metrics
 * (`new Counter({ name: 'flowline_…', labelNames: […] })`) found in apps/*\/src and libs/*\/src,
 * the default process metrics every service registers with the `flowline_` prefix, and the
 * metrics the dashboard already shows before their code lands (PENDING_METRICS).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricInfo {
  type: MetricType;
  labels: string[];
  /** Where it is declared: a source file, `prom-client defaults`, or `pending`. */
  source: string;
}

/**
 * Metrics the services will expose, agreed with their owners, that no code declares yet. When one
 * is declared it must keep this type and these labels (the check compares them), and then leaves
 * this list.
 */
export const PENDING_METRICS: Record<string, Omit<MetricInfo, 'source'>> = {};

/** Labels every series has: the services' default label, Prometheus' target labels, histogram buckets. */
export const IMPLICIT_LABELS = ['service', 'instance', 'job'];

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  for (const top of ['apps', 'libs']) {
    for (const project of readdirSync(path.join(root, top), { withFileTypes: true })) {
      const src = path.join(root, top, project.name, 'src');
      if (!project.isDirectory()) continue;
      let entries;
      try {
        entries = readdirSync(src, { withFileTypes: true, recursive: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (entry.isFile() && entry.name.endsWith('.ts') && !/\.(spec|integration-spec|e2e-spec)\.ts$/.test(entry.name)) {
          files.push(path.join(entry.parentPath, entry.name));
        }
      }
    }
  }
  return files;
}

const DECLARATION = /new (Counter|Gauge|Histogram|Summary)\b(?:<[^>]*>)?\(\s*\{\s*name:\s*'([a-zA-Z0-9_:]+)'/g;

/** Metrics declared in the code, by name. */
export function declaredMetrics(root: string): Map<string, MetricInfo> {
  const metrics = new Map<string, MetricInfo>();
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(DECLARATION)) {
      // The declaration's options run until the next declaration; labelNames is among them.
      const rest = text.slice(match.index + match[0].length);
      const next = rest.search(/new (Counter|Gauge|Histogram|Summary)\b/);
      const options = next >= 0 ? rest.slice(0, next) : rest;
      const labelList = /labelNames:\s*\[([^\]]*)\]/.exec(options)?.[1] ?? '';
      const labels = [...labelList.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
      metrics.set(match[2]!, { type: match[1]!.toLowerCase() as MetricType, labels, source: path.relative(root, file) });
    }
  }
  return metrics;
}

/** The default process and Node.js metrics each service registers (HealthModule: prefix `flowline_`). */
export async function defaultMetrics(): Promise<Map<string, MetricInfo>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flowline_' });
  const metrics = new Map<string, MetricInfo>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const labels = new Set<string>();
    for (const value of (metric as { values?: Array<{ labels?: Record<string, unknown> }> }).values ?? []) {
      Object.keys(value.labels ?? {}).forEach((label) => labels.add(label));
    }
    metrics.set(metric.name, {
      type: String(metric.type) as MetricType,
      labels: [...labels].filter((l) => l !== 'le'),
      source: 'prom-client defaults',
    });
  }
  registry.clear();
  return metrics;
}

export interface SeriesReference {
  metric: string;
  /** `_bucket`, `_sum` or `_count` of a histogram or summary, or ''. */
  suffix: string;
  info: MetricInfo | undefined;
}

/** Resolves a series name used in PromQL to the metric it belongs to. */
export function resolveSeries(name: string, catalog: Map<string, MetricInfo>): SeriesReference {
  if (catalog.has(name)) return { metric: name, suffix: '', info: catalog.get(name) };
  const match = /^(.*)(_bucket|_sum|_count)$/.exec(name);
  if (match && ['histogram', 'summary'].includes(catalog.get(match[1]!)?.type ?? '')) {
    return { metric: match[1]!, suffix: match[2]!, info: catalog.get(match[1]!) };
  }
  return { metric: name, suffix: '', info: undefined };
}

/**
 * What is wrong with one PromQL expression against the catalog: unknown series, counters read
 * without rate()/increase(), gauges inside rate(), quantiles of non-histograms or without `le`,
 * grouping by labels the series do not have. A handful of regular expressions, not a PromQL
 * parser: enough for the dashboard's expressions, which keep to these forms.
 */
export function promqlProblems(expr: string, catalog: Map<string, MetricInfo>): string[] {
  const problems: string[] = [];
  let depth = 0;
  for (const char of expr) {
    depth += char === '(' ? 1 : char === ')' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth !== 0) problems.push('unbalanced parentheses');

  const references = [...expr.matchAll(/\b(flowline_[a-z0-9_]+)\b/g)].map((m) => ({ at: m.index, ...resolveSeries(m[1]!, catalog) }));
  const labels = new Set([...IMPLICIT_LABELS]);
  for (const reference of references) {
    const { metric, suffix, info, at } = reference;
    if (!info) {
      problems.push(`${metric}: no code declares it and it is not a pending metric`);
      continue;
    }
    info.labels.forEach((label) => labels.add(label));
    if (suffix === '_bucket') labels.add('le');
    const inRate = /\b(rate|irate|increase)\(\s*$/.test(expr.slice(0, at));
    const cumulative = info.type === 'counter' || suffix !== '';
    if (cumulative && !inRate) problems.push(`${metric}${suffix}: a counter read without rate() or increase()`);
    if (!cumulative && inRate) problems.push(`${metric}: a ${info.type} inside rate()`);
    if (info.type === 'histogram' && suffix === '') problems.push(`${metric}: a histogram read without _bucket, _sum or _count`);
  }
  for (const quantile of expr.matchAll(
    /histogram_quantile\(\s*[0-9.]+\s*,\s*sum by \(([^)]*)\)\s*\(\s*rate\(\s*(flowline_[a-z0-9_]+)\[/g,
  )) {
    const grouping = quantile[1]!.split(',').map((l) => l.trim());
    const series = resolveSeries(quantile[2]!, catalog);
    if (series.info?.type !== 'histogram' || series.suffix !== '_bucket')
      problems.push(`histogram_quantile over ${quantile[2]}: not histogram buckets`);
    if (!grouping.includes('le')) problems.push(`histogram_quantile over ${quantile[2]}: not grouped by le`);
  }
  if (/histogram_quantile\(/.test(expr) && !/histogram_quantile\(\s*[0-9.]+\s*,\s*sum by \(/.test(expr)) {
    problems.push('histogram_quantile in a form the check does not read: use histogram_quantile(q, sum by (le, …) (rate(…_bucket[…])))');
  }
  for (const grouping of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const label of grouping[1]!
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean)) {
      if (!labels.has(label)) problems.push(`grouped by '${label}', which none of its series has`);
    }
  }
  for (const matcher of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const label of [...matcher[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!)) {
      if (!labels.has(label)) problems.push(`matches on '${label}', which none of its series has`);
    }
  }
  return problems;
}
