/**
 * EventBridge event-pattern matching for the local bus: the content filters our rules use, with
 * EventBridge's semantics (a field's value array matches if any element matches; an event array
 * field matches if any element does; every named field must match). An operator this matcher does
 * not know throws, so the local bus can never silently route differently from EventBridge.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */

type Pattern = { readonly [key: string]: unknown };

function matchesValue(filter: unknown, value: unknown, present: boolean): boolean {
  if (filter === null || typeof filter !== 'object') {
    return present && (Array.isArray(value) ? value.some((v) => v === filter) : value === filter);
  }
  const entries = Object.entries(filter as Record<string, unknown>);
  if (entries.length !== 1) throw new Error(`Unsupported event pattern filter ${JSON.stringify(filter)}`);
  const [operator, operand] = entries[0]!;
  const values = Array.isArray(value) ? value : [value];
  switch (operator) {
    case 'exists':
      return operand === present;
    case 'prefix':
      return present && values.some((v) => typeof v === 'string' && v.startsWith(String(operand)));
    case 'suffix':
      return present && values.some((v) => typeof v === 'string' && v.endsWith(String(operand)));
    case 'equals-ignore-case':
      return present && values.some((v) => typeof v === 'string' && v.toLowerCase() === String(operand).toLowerCase());
    case 'anything-but': {
      if (!present) return false;
      if (operand !== null && typeof operand === 'object' && !Array.isArray(operand)) {
        const prefix = (operand as { prefix?: string }).prefix;
        if (prefix === undefined) throw new Error(`Unsupported anything-but filter ${JSON.stringify(operand)}`);
        return values.every((v) => !(typeof v === 'string' && v.startsWith(prefix)));
      }
      const excluded = Array.isArray(operand) ? operand : [operand];
      return values.every((v) => !excluded.includes(v));
    }
    case 'numeric': {
      const conditions = operand as unknown[];
      return (
        present &&
        values.some((v) => {
          if (typeof v !== 'number') return false;
          for (let i = 0; i < conditions.length; i += 2) {
            const op = conditions[i];
            const bound = Number(conditions[i + 1]);
            const ok =
              op === '=' ? v === bound : op === '<' ? v < bound : op === '<=' ? v <= bound : op === '>' ? v > bound : op === '>=' ? v >= bound : undefined;
            if (ok === undefined) throw new Error(`Unsupported numeric operator ${String(op)}`);
            if (!ok) return false;
          }
          return true;
        })
      );
    }
    default:
      throw new Error(`Unsupported event pattern operator ${operator}`);
  }
}

/** True when `event` matches `pattern` as EventBridge would decide it. */
export function matchesEventPattern(pattern: Pattern, event: unknown): boolean {
  return Object.entries(pattern).every(([key, filter]) => {
    const container = event !== null && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
    const present = Object.prototype.hasOwnProperty.call(container, key);
    const value = container[key];
    if (Array.isArray(filter)) return filter.some((f) => matchesValue(f, value, present));
    if (filter !== null && typeof filter === 'object') return matchesEventPattern(filter as Pattern, value);
    throw new Error(`Event pattern field ${key} must be an array or an object, got ${JSON.stringify(filter)}`);
  });
}
