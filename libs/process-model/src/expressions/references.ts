/**
 * What an expression reads: its free variables (`record`, `vars`, ...) and, where it selects a
 * field of one directly (`record.firstname`, `steps.lookup.id`), that field. The validator
 * checks them against the variables and names a definition has, so that `{{recrd.name}}` is
 * refused on save instead of failing, or reading null, at run time. Also: the `{{...}}`
 * templates of a text and whether one is left unclosed.
 */
import { parse } from '@bufbuild/cel';

export interface ExpressionReference {
  /** The free variable read. */
  variable: string;
  /** The field selected on it, when the expression selects one directly. */
  field?: string;
}

/** The parts of CEL's parsed expression the walk reads (cel.expr.Expr). */
interface Node {
  exprKind:
    | { case: 'identExpr'; value: { name: string } }
    | { case: 'selectExpr'; value: { operand?: Node; field: string } }
    | { case: 'callExpr'; value: { target?: Node; args: Node[] } }
    | { case: 'listExpr'; value: { elements: Node[] } }
    | { case: 'structExpr'; value: { entries: Array<{ keyKind: { case: string; value?: unknown }; value?: Node }> } }
    | {
        case: 'comprehensionExpr';
        value: {
          iterVar: string;
          iterVar2: string;
          accuVar: string;
          iterRange?: Node;
          accuInit?: Node;
          loopCondition?: Node;
          loopStep?: Node;
          result?: Node;
        };
      }
    | { case: 'constExpr' | undefined; value?: unknown };
}

/** Every variable and directly selected field an expression reads; throws when it does not parse. */
export function expressionReferences(source: string): ExpressionReference[] {
  const found: ExpressionReference[] = [];
  const walk = (node: Node | undefined, bound: ReadonlySet<string>): void => {
    if (!node) return;
    const kind = node.exprKind;
    switch (kind.case) {
      case 'identExpr':
        if (!bound.has(kind.value.name)) found.push({ variable: kind.value.name });
        return;
      case 'selectExpr': {
        const operand = kind.value.operand;
        if (operand?.exprKind.case === 'identExpr' && !bound.has(operand.exprKind.value.name)) {
          found.push({ variable: operand.exprKind.value.name, field: kind.value.field });
          return;
        }
        walk(operand, bound);
        return;
      }
      case 'callExpr':
        walk(kind.value.target, bound);
        for (const arg of kind.value.args) walk(arg, bound);
        return;
      case 'listExpr':
        for (const element of kind.value.elements) walk(element, bound);
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value as Node, bound);
          walk(entry.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const c = kind.value;
        walk(c.iterRange, bound);
        walk(c.accuInit, bound);
        const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar].filter(Boolean));
        walk(c.loopCondition, inner);
        walk(c.loopStep, inner);
        walk(c.result, inner);
        return;
      }
      default:
        return;
    }
  };
  walk((parse(source) as unknown as { expr?: Node }).expr, new Set());
  return found;
}

/** The expressions inside a text's `{{...}}` templates, and whether a `{{` is left without its `}}`. */
export function templateParts(text: string): { expressions: string[]; unclosed: boolean } {
  const expressions: string[] = [];
  // The same pattern the runtime renders with (libs/process-runtime values.ts).
  const rest = text.replace(/\{\{([^}]+)\}\}/g, (_match, inner: string) => {
    expressions.push(inner.trim());
    return '';
  });
  return { expressions, unclosed: rest.includes('{{') };
}
