// Every product operator the distribution ships, as the CLI sees them: `granary operator`,
// `granary install` and `granary up` go through this list and know nothing product-specific.
import type { CustomResourceDefinition } from '../api/kinds/apiextensions.ts';
import type { KubeObject } from '../api/meta.ts';
import type { KubeClient } from '../client/client.ts';
import type { Logger } from '../common/log.ts';
import type { AlertRule, ProductAlertRules } from '../runtime/alert-rules.ts';
import type { SharedCache } from '../runtime/cache.ts';
import type { Route } from '../runtime/secure-endpoint.ts';
import { monitoringOperator } from './monitoring/index.ts';
import { secretsOperator } from './secrets/index.ts';
import { zookeeperOperator } from './zookeeper/index.ts';

export interface OperatorContext {
  /** https://host:port where the operators' endpoint (metrics, the operators' routes) is reached, when it is served. */
  endpoint?: string;
  /**
   * The process's informer cache (started by the caller), for every controller: one watch per
   * kind in the process. Without it each controller watches for itself.
   */
  cache?: SharedCache;
  /** Every product's alert rules (of all the distribution's operators, whichever this process runs). */
  alertRules?: ProductAlertRules[];
}

export interface Operator {
  /** Short name, as in `granary operator NAME`. */
  name: string;
  /** The CustomResourceDefinitions the operator serves (and its command kinds). */
  crds: CustomResourceDefinition[];
  /** Runs every controller of the operator until `signal` aborts. */
  run(client: KubeClient, log: Logger, signal: AbortSignal, context?: OperatorContext): Promise<void>;
  /** What every MonitoringStack alerts on for this product (see docs/operator-guide.md). */
  alertRules?: AlertRule[];
  /** What the operator serves on the operators' endpoint beside /metrics (behind the same access checks). */
  routes?: Route[];
  /** Objects `granary up` applies as its demo (namespace `default`). */
  demo?: KubeObject[];
  /**
   * The demo of `granary up --hybrid`, where the third node runs containers whose images come
   * from `imageRegistry`: part of each stack on bare metal, part in containers.
   */
  hybridDemo?(imageRegistry: string): KubeObject[];
  /** Images (PRODUCT:VERSION, for `granary image build`) the hybrid demo's containers run. */
  hybridImages?: string[];
  /**
   * What `granary up` runs for the platform itself on its local nodes (the monitoring stack, say),
   * unless `--no-NAME` leaves it out. Like the demo, applied once, then left as the user has it.
   */
  platform?(nodes: readonly string[]): KubeObject[];
  /** One line per stack the operator manages (and what needs attention), for `granary status` and `granary up`. */
  summary?(client: KubeClient): Promise<string[]>;
  /**
   * Once its demo is available: writes what a person needs to reach it (client certificates)
   * under `dataDir`, and returns how, as lines for `granary up`'s summary.
   */
  demoAccess?(client: KubeClient, dataDir: string): Promise<string[]>;
}

export const OPERATORS: Operator[] = [secretsOperator, zookeeperOperator, monitoringOperator];

/** The alert rules of every product, for the monitoring operator. */
export function productAlertRules(operators: readonly Operator[] = OPERATORS): ProductAlertRules[] {
  return operators.filter((o) => o.alertRules?.length).map((o) => ({ product: o.name, rules: o.alertRules! }));
}
