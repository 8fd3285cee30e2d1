// What `granary up` tells while it comes up: nodes that became Ready, the platform's parts (the
// monitoring stack) and the demo applied once every node is Ready, those objects once available,
// what it still waits for; then the summary (kubeconfig, operators' summaries with the firing
// alerts, how to reach the demo), and what becomes ready after it.
import type { Node } from '../api/kinds/core.ts';
import type { Condition, KubeObject } from '../api/meta.ts';
import { sleep, type KubeClient } from '../client/client.ts';
import { conditionsOf, isConditionTrue } from '../runtime/conditions.ts';
import { OPERATORS, type Operator } from '../operators/index.ts';
import { LOCAL_NODE_LABEL, LOCAL_NODES } from './local-cluster.ts';
import { applyDemo } from './operator.ts';

export const isReady = (n: Node | undefined) => isConditionTrue(n?.status?.conditions, 'Ready');
/** A demo object is there once Available (a workload) or Ready (e.g. a SecretClass with its CA). */
const isAvailable = (o: KubeObject | undefined) => isConditionTrue(conditionsOf(o), 'Available') || isConditionTrue(conditionsOf(o), 'Ready');
export const describe = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** What is not there yet, and why. */
type NotYet = [string, string][];
/** An object `granary up` applies, with what it is for (`monitoring`, `demo`) in its progress lines. */
export interface Applied { label: string; object: KubeObject }

/**
 * A resumed run finds the previous run's statuses: nodes Ready and objects Available from before
 * Ctrl-C, although nothing runs yet, so its summary came at once and said so. Before this run's
 * agents and operators start, those conditions are set to Unknown, as a node controller does for a
 * node whose agent went quiet; progress and the summary then wait until they are reported again.
 */
export async function forgetPreviousStatuses(client: KubeClient, objects: KubeObject[]): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const unknown = { status: 'Unknown' as const, lastTransitionTime: now, reason: 'NotReportedYet', message: 'granary up is starting: not reported in this run yet' };
  const listed = (await client.resource<Node>('v1', 'Node').list(undefined, { labelSelector: `${LOCAL_NODE_LABEL}=true` })).items;
  for (const node of listed) {
    const conditions = node.status?.conditions ?? [];
    if (!conditions.some((c) => c.type === 'Ready')) continue;
    await client.resource<Node>('v1', 'Node').updateStatus({ ...node, status: { ...node.status, conditions: conditions.map((c) => (c.type === 'Ready' ? { ...c, ...unknown } : c)) } }).catch(() => undefined);
  }
  for (const object of objects) {
    const api = client.resource<KubeObject>(object.apiVersion, object.kind);
    const current = await api.get(object.metadata.name!, object.metadata.namespace).catch(() => undefined);
    // Any kind of the demo: only its conditions are read, as every kind with conditions has them.
    const status = current?.status as { conditions?: Condition[] } | undefined;
    const conditions = status?.conditions;
    if (!current || !conditions?.some((c) => c.type === 'Available' || c.type === 'Ready')) continue;
    const next = conditions.map((c) => (c.type === 'Available' || c.type === 'Ready' ? { ...c, ...unknown } : c));
    await api.updateStatus({ ...current, status: { ...status, conditions: next } }).catch(() => undefined);
  }
}

/** Every operator's summary lines; an operator whose summary fails says so instead. */
export async function summaries(client: KubeClient, operators: Operator[] = OPERATORS): Promise<string[]> {
  const lines: string[] = [];
  for (const operator of operators) {
    if (!operator.summary) continue;
    try {
      lines.push(...(await operator.summary(client)));
    } catch (err) {
      lines.push(`${operator.name}: no summary (${(err as Error).message})`);
    }
  }
  return lines;
}

/** What is not there yet: nodes not Ready and applied objects (platform, demo) not Available, each with why. */
async function pending(client: KubeClient, demo: KubeObject[]): Promise<{ nodes: Map<string, string>; demo: Map<string, string> }> {
  const nodes = new Map<string, string>();
  const listed = (await client.resource<Node>('v1', 'Node').list(undefined, { labelSelector: `${LOCAL_NODE_LABEL}=true` })).items;
  for (const { name } of LOCAL_NODES) {
    const node = listed.find((n) => n.metadata.name === name);
    if (!node) nodes.set(name, 'not registered yet');
    else if (!isReady(node)) nodes.set(name, node.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? 'not Ready');
  }
  const waiting = new Map<string, string>();
  for (const object of demo) {
    const current = await client.resource(object.apiVersion, object.kind).get(object.metadata.name!, object.metadata.namespace ?? 'default').catch(() => undefined);
    if (isAvailable(current)) continue;
    const conditions = conditionsOf(current);
    const telling = conditions.find((c) => c.type === 'Degraded' && c.status === 'True') ?? conditions.find((c) => c.type === 'Progressing') ?? conditions.find((c) => c.type === 'Available');
    waiting.set(describe(object), telling ? `${telling.type}: ${telling.message ?? telling.reason ?? telling.status}` : 'no status yet');
  }
  return { nodes, demo: waiting };
}

/** How to reach the demo: each operator's demoAccess (client certificates written under dataDir). */
async function demoAccess(client: KubeClient, dataDir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const operator of OPERATORS) {
    if (!operator.demoAccess) continue;
    lines.push(...(await operator.demoAccess(client, dataDir).catch((err: Error) => [`${operator.name}: no client credentials for the demo (${err.message})`])));
  }
  return lines;
}

/** Where the kubeconfig is, every operator's summary, how to reach the demo, what is still starting, and where to look. */
async function printSummary(client: KubeClient, kubeconfig: string, notYet: NotYet, access: string[]): Promise<void> {
  const lines = [...await summaries(client).catch((err: Error) => [`no summary: ${err.message}`]), ...(access.length ? ['', ...access] : [])];
  const kinds = OPERATORS.flatMap((o) => o.crds).map((crd) => crd.spec as { group: string; names: { plural: string } })
    .filter((spec) => !spec.group.startsWith('command.')).map((spec) => `  kubectl get ${spec.names.plural}`);
  process.stdout.write(`
Granary is up. Its kubeconfig is ${kubeconfig}
${lines.length ? `\n${lines.map((l) => `  ${l}`).join('\n')}\n` : ''}${notYet.length ? `\nStill starting (\`granary status\` shows how far it got):\n${notYet.map(([what, why]) => `  ${what}: ${why}`).join('\n')}\n` : ''}
Look around with kubectl:

  export KUBECONFIG=${kubeconfig}
  kubectl get nodes -o wide
  kubectl get pods -o wide
${kinds.length ? `${kinds.join('\n')}\n` : ''}  kubectl api-resources

Ctrl-C stops everything; running \`granary up\` again resumes the same cluster.
\`granary status\` summarises it from another terminal; \`granary down\` stops it.
`);
}

/**
 * Looks at the cluster: announces each node once it is Ready and each applied object once it is
 * available, and applies the objects once every node is Ready (so that operators can spread them
 * over the nodes). Each look returns what is not there yet.
 */
class Lookout {
  private readonly client: KubeClient;
  private readonly wanted: Applied[];
  private readonly report: (line: string) => void;
  private readonly announced = new Set<string>();
  private applied: boolean;

  constructor(client: KubeClient, wanted: Applied[], report: (line: string) => void) {
    this.client = client;
    this.wanted = wanted;
    this.report = report;
    this.applied = wanted.length === 0;
  }

  async look(): Promise<NotYet> {
    try {
      for (;;) {
        const seen = await pending(this.client, this.applied ? this.wanted.map((w) => w.object) : []);
        for (const { name, ip } of LOCAL_NODES) if (!seen.nodes.has(name)) this.announce(name, `node ${name} is Ready (${ip})`);
        if (!this.applied && seen.nodes.size === 0) {
          const results = await applyDemo(this.client, OPERATORS, this.wanted.map((w) => w.object));
          for (const [i, { object, created }] of results.entries()) this.report(`${this.wanted[i].label} ${describe(object)} ${created ? 'created' : 'exists; kept as it is'}`);
          this.applied = true;
          continue;
        }
        if (!this.applied) return [...seen.nodes, ...this.wanted.map(({ label, object }): [string, string] => [`${label} ${describe(object)}`, 'applied once every node is Ready'])];
        for (const { label, object } of this.wanted) if (!seen.demo.has(describe(object))) this.announce(describe(object), `${label} ${describe(object)} is available`);
        return [...seen.nodes, ...seen.demo];
      }
    } catch (err) {
      return [['the control plane', `not answering: ${(err as Error).message}`]];
    }
  }

  private announce(key: string, line: string): void {
    if (this.announced.has(key)) return;
    this.announced.add(key);
    this.report(line);
  }
}

export interface ProgressOptions {
  client: KubeClient;
  kubeconfig: string;
  dataDir: string;
  /** The platform's objects (the monitoring stack) to apply once every node is Ready. */
  platform: Applied[];
  /** The demo objects to apply once every node is Ready. */
  demo: KubeObject[];
  /** When to print the summary even though something is still starting. */
  deadline: number;
  report: (line: string) => void;
  signal: AbortSignal;
}

/**
 * Progress until every node is Ready and the platform and demo are available, or until the deadline; then the
 * summary. What is still starting then is followed until it is there, and said when it is.
 */
export async function reportProgress(opts: ProgressOptions): Promise<void> {
  const { client, signal } = opts;
  const lookout = new Lookout(client, [...opts.platform, ...opts.demo.map((object) => ({ label: 'demo', object }))], opts.report);
  const access = async (notYet: NotYet) => (notYet.length === 0 && opts.demo.length > 0 ? await demoAccess(client, opts.dataDir) : []);

  if (signal.aborted) return;
  let notYet = await lookout.look();
  let lastNote = Date.now();
  while (notYet.length > 0 && Date.now() < opts.deadline) {
    if (Date.now() - lastNote >= 15_000) {
      lastNote = Date.now();
      opts.report(`waiting for ${notYet.map(([what, why]) => `${what} (${why})`).join(', ')}`);
    }
    await sleep(500, signal);
    if (signal.aborted) return;
    notYet = await lookout.look();
  }
  await printSummary(client, opts.kubeconfig, notYet, await access(notYet));
  if (notYet.length === 0) return;

  while (notYet.length > 0) {
    await sleep(2000, signal);
    if (signal.aborted) return;
    notYet = await lookout.look();
  }
  for (const line of [...await summaries(client).catch(() => []), ...await access(notYet)]) opts.report(line);
}
