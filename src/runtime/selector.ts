// Node and pod selection with metav1.LabelSelector in operators: validation that names the
// offending field, and matching of many label sets against one selector. The schema (for a
// product's CRD to embed a selector) is the one of src/api/kinds/meta.ts, re-exported here;
// Kubernetes' semantics and error wording live in src/api/selectors.ts.
import { labelSelectorRequirements, matchesLabels, SelectorError, type LabelSelector } from '../api/selectors.ts';

export type { LabelSelector } from '../api/selectors.ts';
export { LabelSelectorSchema } from '../api/kinds/meta.ts';

/**
 * Every problem with `selector`, each prefixed with the field it is in under `path`
 * (e.g. "spec.servers.roleGroups.default.selector.matchExpressions[0]").
 */
export function validateLabelSelector(selector: LabelSelector, path = 'selector'): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const problem = selectorProblem({ matchLabels: { [key]: value } });
    if (problem) problems.push(`${path}.matchLabels[${key}]: ${problem}`);
  }
  (selector.matchExpressions ?? []).forEach((requirement, i) => {
    const problem = selectorProblem({ matchExpressions: [requirement] });
    if (problem) problems.push(`${path}.matchExpressions[${i}]: ${problem}`);
  });
  return problems;
}

/** Validates `selector` once, for matching it against many label sets. */
export function compileLabelSelector(selector: LabelSelector):
  | { ok: true; matches: (labels: Readonly<Record<string, string>>) => boolean }
  | { ok: false; problems: string[] } {
  const problems = validateLabelSelector(selector);
  if (problems.length > 0) return { ok: false, problems };
  const requirements = labelSelectorRequirements(selector);
  return { ok: true, matches: (labels) => matchesLabels(requirements, labels) };
}

/**
 * True when `labels` satisfy `selector`. A selector that does not validate matches nothing, so a
 * mistake never selects more than intended; report `validateLabelSelector`'s problems instead.
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> = {}): boolean {
  const compiled = compileLabelSelector(selector);
  return compiled.ok && compiled.matches(labels);
}

function selectorProblem(selector: LabelSelector): string | undefined {
  try {
    labelSelectorRequirements(selector);
    return undefined;
  } catch (err) {
    if (err instanceof SelectorError) return err.message;
    throw err;
  }
}
