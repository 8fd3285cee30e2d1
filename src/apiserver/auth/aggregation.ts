// ClusterRole aggregation, as Kubernetes' controller does it: a ClusterRole with an aggregationRule
// has as its rules those of every other ClusterRole matching one of its selectors, taken in name
// order, each distinct rule once. Any ClusterRole change re-syncs every aggregating role, so chains
// (view into edit into admin) settle.
import { isDeepStrictEqual } from 'node:util';
import type { ClusterRole, PolicyRule } from '../../api/kinds/rbac.ts';
import { labelSelectorRequirements, matchesLabels, SelectorError, type LabelRequirement } from '../../api/selectors.ts';
import type { Logger } from '../../common/log.ts';
import { KeyedLoop } from '../controllers/work-queue.ts';
import { keyPrefix } from '../registry/catalog.ts';
import type { Registry } from '../registry/registry.ts';
import { RBAC_GROUP } from './policy-index.ts';

const CLUSTER_ROLES_PREFIX = keyPrefix({ group: RBAC_GROUP, plural: 'clusterroles' });
const FIELD_MANAGER = 'clusterrole-aggregation-controller';

/** The rules an aggregating role should have, given every ClusterRole. */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const others = all.filter((r) => r.metadata.name !== role.metadata.name)
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const requirements = selectorRequirements(selector);
    for (const other of others) {
      if (!matchesLabels(requirements, other.metadata.labels)) continue;
      for (const rule of other.rules ?? []) if (!rules.some((r) => isDeepStrictEqual(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

/** An invalid selector selects nothing (validation is where it should have been refused). */
function selectorRequirements(selector: Parameters<typeof labelSelectorRequirements>[0]): LabelRequirement[] | 'nothing' {
  try {
    return labelSelectorRequirements(selector);
  } catch (err) {
    if (err instanceof SelectorError) return 'nothing';
    throw err;
  }
}

export class ClusterRoleAggregator {
  private readonly registry: Registry;
  private readonly loop: KeyedLoop;
  private stopWatch?: () => void;

  constructor(registry: Registry, log: Logger) {
    this.registry = registry;
    this.loop = new KeyedLoop((name) => this.sync(name), (name, err) => log.warn({ clusterRole: name, err: String(err) }, 'aggregating ClusterRole rules failed; retrying'));
  }

  /** Brings every aggregating role up to date, then keeps them so. */
  async start(): Promise<void> {
    this.stopWatch = this.registry.cache.watch(CLUSTER_ROLES_PREFIX, this.registry.cache.currentRevision(), () => this.enqueueAggregating());
    this.enqueueAggregating();
    await this.loop.idle();
  }

  stop(): void {
    this.stopWatch?.();
    this.loop.stop();
  }

  private clusterRoles(): ClusterRole[] {
    return this.registry.cache.list(CLUSTER_ROLES_PREFIX).map((e) => e.object as ClusterRole);
  }

  private enqueueAggregating(): void {
    for (const role of this.clusterRoles()) if (role.aggregationRule) this.loop.add(role.metadata.name!);
  }

  private async sync(name: string): Promise<void> {
    const all = this.clusterRoles();
    const role = all.find((r) => r.metadata.name === name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, all);
    if (isDeepStrictEqual(rules, role.rules ?? [])) return;
    const store = this.registry.storageStore(RBAC_GROUP, 'clusterroles')!;
    // The role as read (with its resourceVersion): a concurrent change makes this a conflict, retried.
    await store.update(undefined, name, { ...role, rules }, { warnings: [], fieldManager: FIELD_MANAGER });
  }
}
