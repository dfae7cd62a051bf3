/**
 * OneRoster 1.1 `filter` parameter: `field op 'value'`, ops = != > >= < <= ~ (contains),
 * at most two predicates joined by one AND or OR. Dotted fields reach into GUIDRefs
 * (`class.sourcedId`); an array field matches when any element does.
 */

type Op = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~";
interface Predicate {
  path: string[];
  op: Op;
  value: string;
}
export type RecordFilter = (record: Record<string, unknown>) => boolean;

const PREDICATE = /^\s*([A-Za-z][\w.]*)\s*(!=|>=|<=|=|>|<|~)\s*'((?:[^']|'')*)'\s*$/;

function parsePredicate(text: string): Predicate | null {
  const m = PREDICATE.exec(text);
  return m ? { path: m[1].split("."), op: m[2] as Op, value: m[3].replace(/''/g, "'") } : null;
}

function compare(actual: string, op: Op, value: string): boolean {
  switch (op) {
    case "=":
      return actual === value;
    case "!=":
      return actual !== value;
    case ">":
      return actual > value;
    case ">=":
      return actual >= value;
    case "<":
      return actual < value;
    case "<=":
      return actual <= value;
    case "~":
      return actual.toLowerCase().includes(value.toLowerCase());
  }
}

function resolve(record: unknown, path: string[]): unknown[] {
  let current: unknown[] = [record];
  for (const key of path) {
    current = current.flatMap((v) => {
      const next = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
      return Array.isArray(next) ? next : [next];
    });
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function matches(record: Record<string, unknown>, p: Predicate): boolean {
  const values = resolve(record, p.path).filter((v) => v !== undefined && v !== null);
  if (p.op === "!=") return values.every((v) => compare(String(v), p.op, p.value));
  return values.some((v) => compare(String(v), p.op, p.value));
}

/** Parses a filter expression; throws with a message for the imsx error body. */
export function parseFilter(expression: string): RecordFilter {
  const joiner = / AND | OR /.exec(expression);
  const parts = joiner ? [expression.slice(0, joiner.index), expression.slice(joiner.index + joiner[0].length)] : [expression];
  const predicates = parts.map(parsePredicate);
  if (predicates.some((p) => p === null) || / AND | OR /.test(parts[1] ?? "")) throw new Error(`invalid filter: ${expression}`);
  const [a, b] = predicates as Predicate[];
  if (!b) return (r) => matches(r, a);
  return joiner?.[0] === " AND " ? (r) => matches(r, a) && matches(r, b) : (r) => matches(r, a) || matches(r, b);
}
