/**
 * Where a page stands in its dialog: whether any page (or a linked child dialog) can still
 * follow it on some path. The runner labels the button of a page that nothing can follow
 * "Finish" instead of "Next". Reads the compiled definition's step tree; no I/O.
 */
type Step = Record<string, unknown> & { type?: string };

/** The step list at a JSON path such as `$.steps[1].branches[0].steps`. */
export function stepListAt(root: Record<string, unknown>, path: string): Step[] {
  let node: unknown = root;
  for (const match of path.slice(1).matchAll(/\.([A-Za-z]+)|\[(\d+)\]/g)) {
    if (node === undefined || node === null) return [];
    node = match[1] !== undefined ? (node as Record<string, unknown>)[match[1]] : (node as unknown[])[Number(match[2])];
  }
  return Array.isArray(node) ? (node as Step[]) : [];
}

/** The step at a JSON path such as `$.steps[1].branches[0].steps[0]`. */
export function stepAt(root: Record<string, unknown>, path: string): Step | undefined {
  const match = /^(.*)\[(\d+)\]$/.exec(path);
  return match ? stepListAt(root, match[1]!)[Number(match[2])] : undefined;
}

function mayShowPage(step: Step): boolean {
  if (step.type === 'page' || step.type === 'linkChildDialog') return true;
  const nested: Step[] = [
    ...((step['steps'] as Step[] | undefined) ?? []),
    ...((step['otherwise'] as Step[] | undefined) ?? []),
    ...((step['branches'] as Array<{ steps?: Step[] }> | undefined) ?? []).flatMap((branch) => branch.steps ?? []),
  ];
  return nested.some(mayShowPage);
}

/** True when no page can be shown after the step at `path`, whichever branches are taken. */
export function isLastPage(root: Record<string, unknown>, path: string): boolean {
  let current = path;
  for (;;) {
    const position = /^(.*)\[(\d+)\]$/.exec(current);
    if (!position) return true;
    const listPath = position[1]!;
    if (
      stepListAt(root, listPath)
        .slice(Number(position[2]) + 1)
        .some(mayShowPage)
    )
      return false;
    // Up to the step that holds this list: a stage, or a condition (its other branches are alternatives, not followers).
    const parent = /^(.*?\[\d+\])(?:\.branches\[\d+\]\.steps|\.steps|\.otherwise)$/.exec(listPath);
    if (!parent) return true;
    current = parent[1]!;
  }
}
