// Label selectors (metav1.LabelSelector): matching a set of labels, validating, and the string
// form list and watch requests take. Semantics follow Kubernetes: requirements are ANDed,
// `NotIn` and `DoesNotExist` match objects without the key, and an empty selector matches all.
import { Type, type Static } from '@sinclair/typebox';
import { validateLabelKey, validateLabelValue } from './labels.ts';

export const LabelSelectorRequirementSchema = Type.Object({
  key: Type.String(),
  operator: Type.Union([Type.Literal('In'), Type.Literal('NotIn'), Type.Literal('Exists'), Type.Literal('DoesNotExist')]),
  values: Type.Optional(Type.Array(Type.String())),
});

export const LabelSelectorSchema = Type.Object({
  matchLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
  matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirementSchema)),
}, { description: 'A label selector: every matchLabels entry and every matchExpressions requirement must hold.' });

export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;
export type LabelSelector = Static<typeof LabelSelectorSchema>;

/** Every problem with `selector`, each prefixed with its field path under `path`. */
export function validateLabelSelector(selector: LabelSelector, path = 'selector'): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const keyProblem = validateLabelKey(key);
    if (keyProblem) problems.push(`${path}.matchLabels: ${keyProblem}`);
    const valueProblem = validateLabelValue(value);
    if (valueProblem) problems.push(`${path}.matchLabels[${key}]: ${valueProblem}`);
  }
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    const keyProblem = validateLabelKey(req.key);
    if (keyProblem) problems.push(`${at}.key: ${keyProblem}`);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) problems.push(`${at}.values: must be non-empty when operator is ${req.operator}`);
        for (const v of values) {
          const valueProblem = validateLabelValue(v);
          if (valueProblem) problems.push(`${at}.values: ${valueProblem}`);
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) problems.push(`${at}.values: must be empty when operator is ${req.operator}`);
        break;
      default:
        problems.push(`${at}.operator: "${String(req.operator)}" is not one of In, NotIn, Exists, DoesNotExist`);
    }
  });
  return problems;
}

/**
 * True when `labels` satisfy `selector`. A selector that does not validate matches nothing, so a
 * mistake never selects more than intended; report `validateLabelSelector`'s problems instead.
 */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> = {}): boolean {
  const compiled = compileLabelSelector(selector);
  return compiled.ok && compiled.matches(labels);
}

/** Validates `selector` once, for matching it against many label sets. */
export function compileLabelSelector(selector: LabelSelector):
  | { ok: true; matches: (labels: Readonly<Record<string, string>>) => boolean }
  | { ok: false; problems: string[] } {
  const problems = validateLabelSelector(selector);
  if (problems.length > 0) return { ok: false, problems };
  const pairs = Object.entries(selector.matchLabels ?? {});
  const requirements = selector.matchExpressions ?? [];
  return {
    ok: true,
    matches: (labels) => pairs.every(([key, value]) => Object.hasOwn(labels, key) && labels[key] === value)
      && requirements.every((req) => requirementMatches(req, labels)),
  };
}

function requirementMatches(req: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  switch (req.operator) {
    case 'In': return has && (req.values ?? []).includes(labels[req.key]);
    case 'NotIn': return !has || !(req.values ?? []).includes(labels[req.key]);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
  }
}

/**
 * The `labelSelector` query parameter form ("a=b,c in (d,e),!f"), requirements sorted by key as
 * Kubernetes prints them. An empty selector gives "", which selects everything.
 */
export function formatLabelSelector(selector: LabelSelector): string {
  const terms: [string, string][] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) terms.push([key, `${key}=${value}`]);
  for (const req of selector.matchExpressions ?? []) {
    const values = [...(req.values ?? [])].sort().join(',');
    switch (req.operator) {
      case 'In': terms.push([req.key, `${req.key} in (${values})`]); break;
      case 'NotIn': terms.push([req.key, `${req.key} notin (${values})`]); break;
      case 'Exists': terms.push([req.key, req.key]); break;
      case 'DoesNotExist': terms.push([req.key, `!${req.key}`]); break;
    }
  }
  return terms
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, term]) => term)
    .join(',');
}
