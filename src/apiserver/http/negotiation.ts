// The Accept header, negotiated as Kubernetes negotiates it (apiserver/pkg/endpoints/handlers/
// negotiation): clauses ordered by q-value, then by specificity (type/subtype before type/*, before
// */*); the first clause the server can serve wins; its `as`, `g` and `v` parameters ask for a
// transformation (a Table, PartialObjectMetadata, aggregated discovery) that the endpoint must
// offer, or the clause is passed over; when none is left, 406 Not Acceptable. No Accept header (or
// */*) means JSON. Responses are JSON or YAML; a client that accepts only protobuf gets 406.
import { errors } from '../errors.ts';

export interface MediaClause {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

/** What a request's response is: one object, a list, a watch stream, or a discovery document. */
export type Endpoint = 'object' | 'list' | 'watch' | 'discovery';

export interface OutputForm {
  format: 'json' | 'yaml';
  /** A transformation asked for with as=KIND;g=GROUP;v=VERSION. */
  as?: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList' | 'APIGroupDiscoveryList';
  /** The version of the transformation's group (meta.k8s.io v1 or v1beta1; apidiscovery.k8s.io v2 or v2beta1). */
  version?: string;
}

const JSON_FORM: OutputForm = { format: 'json' };

/** Accept's clauses, most preferred first (q-value, then specificity; ties keep their order). */
export function parseAccept(header: string | undefined): MediaClause[] {
  const clauses: MediaClause[] = [];
  for (const part of (header ?? '').split(',')) {
    const [range, ...rawParams] = part.split(';').map((s) => s.trim());
    if (!range) continue;
    const slash = range.indexOf('/');
    const type = (slash < 0 ? range : range.slice(0, slash)).toLowerCase();
    const subtype = slash < 0 ? '*' : range.slice(slash + 1).toLowerCase();
    const params = new Map<string, string>();
    let q = 1;
    for (const raw of rawParams) {
      const eq = raw.indexOf('=');
      if (eq < 0) continue;
      const key = raw.slice(0, eq).trim().toLowerCase();
      const value = raw.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else params.set(key, value);
    }
    clauses.push({ type, subtype, params, q });
  }
  const rank = (c: MediaClause) => (c.type === '*' ? 2 : c.subtype === '*' ? 1 : 0);
  return clauses.map((c, i) => ({ c, i })).sort((a, b) => b.c.q - a.c.q || rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
}

const OFFERED: { type: string; subtype: string; format: OutputForm['format'] }[] = [
  { type: 'application', subtype: 'json', format: 'json' },
  { type: 'application', subtype: 'yaml', format: 'yaml' },
];

/** The transformation a clause asks for, when this endpoint can give it. */
function transformation(clause: MediaClause, format: OutputForm['format'], endpoint: Endpoint): OutputForm | undefined {
  const as = clause.params.get('as');
  if (as === undefined) {
    // A watch streams JSON only.
    return endpoint === 'watch' && format !== 'json' ? undefined : { format };
  }
  const group = clause.params.get('g');
  const version = clause.params.get('v') ?? '';
  if (endpoint === 'discovery') {
    return as === 'APIGroupDiscoveryList' && group === 'apidiscovery.k8s.io' && (version === 'v2' || version === 'v2beta1') && format === 'json'
      ? { format, as, version } : undefined;
  }
  if (group !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) return undefined;
  if (as === 'Table' && (endpoint !== 'watch' || format === 'json')) return { format, as, version };
  if (as === 'PartialObjectMetadata' && endpoint !== 'list' && (endpoint !== 'watch' || format === 'json')) return { format, as, version };
  if (as === 'PartialObjectMetadataList' && endpoint === 'list') return { format, as, version };
  return undefined;
}

/** The form of the response for an Accept header; 406 when the server can serve none of it. */
export function negotiateOutput(header: string | undefined, endpoint: Endpoint): OutputForm {
  const clauses = parseAccept(header);
  if (clauses.length === 0) return JSON_FORM;
  for (const clause of clauses) {
    if (clause.q <= 0) continue;
    for (const offer of OFFERED) {
      if ((clause.type !== '*' && clause.type !== offer.type) || (clause.subtype !== '*' && clause.subtype !== offer.subtype)) continue;
      const form = transformation(clause, offer.format, endpoint);
      if (form) return form;
    }
  }
  throw errors.notAcceptable(`only the following media types are accepted: ${endpoint === 'watch' ? 'application/json' : 'application/json, application/yaml'}`);
}
