// The JSONPath expressions of additionalPrinterColumns (kubectl's template syntax without the
// braces): ".spec.replicas", ".status.conditions[?(@.type==\"Ready\")].status",
// ".metadata.labels['app.kubernetes.io/name']". Checked for the structural mistakes that would
// make every table request for the resource fail: unclosed brackets, parentheses and quotes.

/** The reason `path` is not a usable JSONPath, or undefined when it is. */
export function jsonPathError(path: string): string | undefined {
  const closers: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '[') closers.push(']');
    else if (c === '(') closers.push(')');
    else if (c === ']' || c === ')') {
      if (closers.pop() !== c) return `unexpected '${c}' at position ${i}`;
    } else if ((c === '{' || c === '}') && closers.length === 0) {
      return `unexpected '${c}' at position ${i}; the path is written without braces`;
    }
  }
  if (quote) return `unclosed quote ${quote}`;
  if (closers.length > 0) return `unclosed '${closers[closers.length - 1] === ']' ? '[' : '('}'`;
  if (/\.\.\.|\.$/.test(path) && path !== '.') return 'a field name must follow each dot';
  return undefined;
}
