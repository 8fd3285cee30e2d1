// Server-side printing: objects as a meta.k8s.io/v1 Table, which is what `kubectl get` asks for
// (Accept: application/json;as=Table;v=v1;g=meta.k8s.io) and prints column by column without
// knowing the kind. Columns and cell values follow Kubernetes' own printers: ages are sent as
// pre-formatted strings ("5m", "3d4h"), a pod's STATUS is worked out from its container states the
// way kubectl users know it, and columns of priority 1 are the extra ones `-o wide` shows.
import type { KubeObject, ListMeta, ObjectMeta } from '../api/meta.ts';
import type { PrinterColumn, ResourceDefinition } from '../api/resources.ts';
import { parseJsonPath, printJsonPathValue, type JsonPath } from '../api/jsonpath.ts';

export interface TableColumnDefinition {
  name: string;
  /** integer, number, string, boolean or date (an OpenAPI type). */
  type: string;
  /** An OpenAPI format hint; "name" marks the column holding the object's name. */
  format: string;
  description: string;
  /** 0 for the default view, higher for the extra columns of `-o wide`. */
  priority: number;
}

export interface TableRowCondition {
  /** "Completed": the row's object has finished (a pod that succeeded or failed). */
  type: 'Completed';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** Per includeObject: the object's metadata (default), the whole object, or null. */
  object: PartialObjectMetadata | KubeObject | null;
}

export type TableApiVersion = 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';

export interface Table {
  kind: 'Table';
  apiVersion: TableApiVersion;
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  includeObject?: IncludeObject;
  /** The time ages are measured to. */
  now?: Date;
  /** A list's metadata (resourceVersion, continue, remainingItemCount); without it a single object's resourceVersion is used. */
  listMeta?: ListMeta;
  /** The version of meta.k8s.io the client asked for; v1 unless given. */
  apiVersion?: TableApiVersion;
}

interface RowContent {
  cells: unknown[];
  conditions?: TableRowCondition[];
}

interface Printer {
  columns: TableColumnDefinition[];
  row(obj: KubeObject, now: number): RowContent;
}

// ---------------------------------------------------------------------------------------------
// Time, printed as Kubernetes prints it.

/** Kubernetes' human duration: two significant units at most, e.g. 45s, 5m30s, 3h12m, 4d2h, 2y30d. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // A clock a second ahead still reads as "now"; further ahead is invalid.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Time since a timestamp, or `<unknown>` when there is none. */
function since(timestamp: unknown, now: number): string {
  const t = parseTime(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

/** A timestamp in UTC without fractions, as the "Created At" columns show it. */
function createdAt(timestamp: unknown): string {
  const t = parseTime(timestamp);
  return t === undefined ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------
// Columns.

function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

const NAME = column('Name', 'string', 'Name of the object, unique among objects of its kind in its namespace.', 0, 'name');
const AGE = column('Age', 'string', 'Time since the object was created.');
const CREATED_AT = column('Created At', 'date', 'When the object was created.');
const wide = (name: string, description: string) => column(name, 'string', description, 1);

/** Objects of the built-in kinds are read field by field, defensively, without full typings. */
type Json = Record<string, any>;
const count = (v: unknown) => (Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0);
const orNone = (v: unknown) => (typeof v === 'string' && v !== '' ? v : '<none>');
const age = (obj: KubeObject, now: number) => since(obj.metadata.creationTimestamp, now);

const namedCreatedAt: Printer = {
  columns: [NAME, CREATED_AT],
  row: (obj) => ({ cells: [obj.metadata.name, createdAt(obj.metadata.creationTimestamp)] }),
};

// ---------------------------------------------------------------------------------------------
// Pods.

interface ContainerState {
  waiting?: { reason?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; signal?: number; reason?: string; finishedAt?: string };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** Restarts, and when the last one happened, summed over some container statuses. */
class RestartTally {
  count = 0;
  last: number | undefined;

  add(status: ContainerStatus): void {
    this.count += status.restartCount ?? 0;
    const finished = parseTime(status.lastState?.terminated?.finishedAt);
    if (finished !== undefined && (this.last === undefined || finished > this.last)) this.last = finished;
  }
}

const hasCondition = (conditions: Json[] | undefined, type: string) => (conditions ?? []).some((c) => c.type === type && c.status === 'True');

/**
 * The pod's STATUS as kubectl shows it: the phase, or a more telling reason taken from the pod, its
 * init containers (Init:1/2, Init:CrashLoopBackOff) or containers (ContainerCreating, Completed,
 * ExitCode:1), Terminating while it is being deleted.
 */
function printPod(pod: Json, now: number): RowContent {
  const spec: Json = pod.spec ?? {};
  const status: Json = pod.status ?? {};
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? []) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initContainers: Json[] = spec.initContainers ?? [];
  // Init containers with restartPolicy Always are sidecars: they keep running and count as containers.
  const sidecars = new Set(initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => c.name as string));
  const total = (spec.containers ?? []).length + sidecars.size;
  let ready = 0;

  const all = new RestartTally();
  const sidecarRestarts = new RestartTally();
  let initializing = false;
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  for (const [i, c] of initStatuses.entries()) {
    all.add(c);
    if (sidecars.has(c.name)) sidecarRestarts.add(c);
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecars.has(c.name) && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      reason = terminated.reason ? `Init:${terminated.reason}` : terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  let restarts = all;
  if (!initializing || hasCondition(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    let running = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    // From the last container to the first, so the first container's state has the final word.
    for (const c of [...statuses].reverse()) {
      restarts.add(c);
      const { waiting, terminated, running: isRunning } = c.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      else if (c.ready && isRunning) {
        running = true;
        ready++;
      }
    }
    // A container that completed while others still run leaves the pod running, not completed.
    if (reason === 'Completed' && running) reason = hasCondition(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartText = restarts.count !== 0 && restarts.last !== undefined
    ? `${restarts.count} (${humanDuration(now - restarts.last)} ago)`
    : String(restarts.count);

  const gates: Json[] = spec.readinessGates ?? [];
  const gatesText = gates.length === 0 ? '<none>'
    : `${gates.filter((g) => (status.conditions ?? []).find((c: Json) => c.type === g.conditionType)?.status === 'True').length}/${gates.length}`;

  const row: RowContent = {
    cells: [
      pod.metadata.name, `${ready}/${total}`, reason, restartText, since(pod.metadata.creationTimestamp, now),
      orNone(status.podIPs?.[0]?.ip), orNone(spec.nodeName), orNone(status.nominatedNodeName), gatesText,
    ],
  };
  if (phase === 'Succeeded') row.conditions = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'All containers of the pod exited successfully.' }];
  if (phase === 'Failed') row.conditions = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod has failed.' }];
  return row;
}

const pods: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'Ready containers out of all containers of the pod.'),
    column('Status', 'string', 'The state of the pod, summarised from its phase and its containers.'),
    column('Restarts', 'string', 'Container restarts in the pod, and how long ago the last one was.'),
    AGE,
    wide('IP', 'The IP address of the pod.'),
    wide('Node', 'The node the pod is bound to.'),
    wide('Nominated Node', 'The node the scheduler nominated for the pod, before binding.'),
    wide('Readiness Gates', 'True readiness gates out of all of the pod\'s readiness gates.'),
  ],
  row: (obj, now) => printPod(obj as Json, now),
};

// ---------------------------------------------------------------------------------------------
// Nodes.

function nodeRoles(labels: Record<string, string> = {}): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value !== '') roles.add(value);
  }
  return [...roles].sort().join(',') || '<none>';
}

const nodes: Printer = {
  columns: [
    NAME,
    column('Status', 'string', 'Whether the node is ready, and whether it takes new pods.'),
    column('Roles', 'string', 'The node\'s roles, from its node-role.kubernetes.io labels.'),
    AGE,
    column('Version', 'string', 'The version the node agent reports.'),
    wide('Internal-IP', 'The node\'s internal address.'),
    wide('External-IP', 'The node\'s external address.'),
    wide('OS-Image', 'The operating system the node runs.'),
    wide('Kernel-Version', 'The node\'s kernel version.'),
    wide('Container-Runtime', 'What runs the node\'s containers, and its version.'),
  ],
  row(obj, now) {
    const node = obj as Json;
    const status: Json = node.status ?? {};
    const info: Json = status.nodeInfo ?? {};
    const readyCondition = (status.conditions ?? []).find((c: Json) => c.type === 'Ready');
    const state = readyCondition ? [readyCondition.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
    if (node.spec?.unschedulable) state.push('SchedulingDisabled');
    const address = (type: string) => (status.addresses ?? []).find((a: Json) => a.type === type)?.address ?? '<none>';
    const known = (v: unknown) => (typeof v === 'string' && v !== '' ? v : '<unknown>');
    return {
      cells: [
        node.metadata.name, state.join(','), nodeRoles(node.metadata.labels), age(obj, now), info.kubeletVersion ?? '',
        address('InternalIP'), address('ExternalIP'), known(info.osImage), known(info.kernelVersion), known(info.containerRuntimeVersion),
      ],
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Events (core/v1 and events.k8s.io/v1 print alike).

interface EventFields {
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  type?: string;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}

/** An events.k8s.io/v1 Event in core/v1 terms. */
function coreEventFields(e: Json): EventFields {
  return {
    firstTimestamp: e.deprecatedFirstTimestamp, lastTimestamp: e.deprecatedLastTimestamp, eventTime: e.eventTime,
    count: e.deprecatedCount, series: e.series, involvedObject: e.regarding, type: e.type, reason: e.reason, message: e.note,
    source: e.deprecatedSource, reportingComponent: e.reportingController, reportingInstance: e.reportingInstance,
  };
}

function eventPrinter(fields: (obj: KubeObject) => EventFields): Printer {
  return {
    columns: [
      column('Last Seen', 'string', 'Time since the event was last seen.'),
      column('Type', 'string', 'Normal or Warning.'),
      column('Reason', 'string', 'Why the event happened, in one CamelCase word.'),
      column('Object', 'string', 'The object the event is about.'),
      wide('Subobject', 'The part of the object the event is about, e.g. a container.'),
      wide('Source', 'The component that reported the event, and where it runs.'),
      column('Message', 'string', 'What happened, for humans.'),
      wide('First Seen', 'Time since the event was first seen.'),
      wide('Count', 'How many times the event happened.'),
      column('Name', 'string', 'Name of the event object.', 1, 'name'),
    ],
    row(obj, now) {
      const e = fields(obj);
      const first = parseTime(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
      let last = parseTime(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
      let times = e.count ?? 0;
      if (e.series) {
        last = since(e.series.lastObservedTime, now);
        times = e.series.count ?? 0;
      } else if (times === 0) {
        times = 1;
      }
      const involved = e.involvedObject ?? {};
      const kind = (involved.kind ?? '').toLowerCase();
      const target = involved.name ? `${kind}/${involved.name}` : kind;
      const component = e.source?.component || e.reportingComponent || '';
      const instance = e.source?.host || e.reportingInstance || '';
      return {
        cells: [
          last, e.type ?? '', e.reason ?? '', target, involved.fieldPath ?? '', instance ? `${component}, ${instance}` : component,
          (e.message ?? '').trim(), first, times, obj.metadata.name,
        ],
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The rest of the built-in kinds.

function subjectsOf(binding: Json): { users: string; groups: string; serviceAccounts: string } {
  const subjects: Json[] = binding.subjects ?? [];
  const names = (kind: string, name: (s: Json) => string) => subjects.filter((s) => s.kind === kind).map(name).join(', ');
  return {
    users: names('User', (s) => s.name),
    groups: names('Group', (s) => s.name),
    serviceAccounts: names('ServiceAccount', (s) => `${s.namespace ?? ''}/${s.name}`),
  };
}

const bindings: Printer = {
  columns: [
    NAME,
    column('Role', 'string', 'The role granted, as Kind/name.'),
    AGE,
    wide('Users', 'Users the binding grants the role to.'),
    wide('Groups', 'Groups the binding grants the role to.'),
    wide('ServiceAccounts', 'Service accounts the binding grants the role to, as namespace/name.'),
  ],
  row(obj, now) {
    const b = obj as Json;
    const { users, groups, serviceAccounts } = subjectsOf(b);
    return { cells: [b.metadata.name, `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(obj, now), users, groups, serviceAccounts] };
  },
};

function csrCondition(csr: Json): string {
  const types = new Set((csr.status?.conditions ?? []).map((c: Json) => c.type));
  let text = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) text += ',Failed';
  if (csr.status?.certificate) text += ',Issued';
  return text;
}

// ---------------------------------------------------------------------------------------------
// Services, EndpointSlices, RuntimeClasses.

/** Label maps as Kubernetes formats them: sorted key=value pairs, `<none>` when empty. */
function formatLabels(labels: Record<string, string> | undefined): string {
  const pairs = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? pairs.join(',') : '<none>';
}

function serviceExternalIp(svc: Json): string {
  const spec: Json = svc.spec ?? {};
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress: Json[] = svc.status?.loadBalancer?.ingress ?? [];
      const points = [...new Set(ingress.map((i) => i.ip || i.hostname).filter(Boolean) as string[])].sort();
      if (external.length > 0) return [...points, ...external].join(',');
      return points.length > 0 ? points.join(',') : '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: Json[] | undefined): string {
  const text = (ports ?? []).map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
  return text || '<none>';
}

/** The first three values and how many more, as kubectl shows endpoints: `a,b,c + 2 more...`. */
function firstThree(values: string[]): string {
  if (values.length > 3) return `${values.slice(0, 3).join(',')} + ${values.length - 3} more...`;
  return values.join(',') || '<unset>';
}

const services: Printer = {
  columns: [
    NAME,
    column('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'string', 'The cluster IP of the service (Granary proxies nothing to it).'),
    column('External-IP', 'string', 'External addresses of the service.'),
    column('Port(s)', 'string', 'Ports of the service, with node ports.'),
    AGE,
    wide('Selector', 'Labels of the pods that back the service.'),
  ],
  row(obj, now) {
    const svc = obj as Json;
    const spec: Json = svc.spec ?? {};
    return {
      cells: [
        svc.metadata.name, spec.type ?? '', spec.clusterIPs?.[0] ?? '<none>', serviceExternalIp(svc), servicePorts(spec.ports),
        age(obj, now), formatLabels(spec.selector),
      ],
    };
  },
};

const endpointSlices: Printer = {
  columns: [
    NAME,
    column('AddressType', 'string', 'The type of the addresses: IPv4, IPv6 or FQDN.'),
    column('Ports', 'string', 'The ports of the endpoints.'),
    column('Endpoints', 'string', 'Addresses of the endpoints.'),
    AGE,
  ],
  row(obj, now) {
    const slice = obj as Json;
    const ports = ((slice.ports ?? []) as Json[]).map((p) => (typeof p.port === 'number' ? String(p.port) : p.name ?? '*'));
    const addresses = ((slice.endpoints ?? []) as Json[]).flatMap((e) => (e.addresses ?? []) as string[]);
    return { cells: [slice.metadata.name, slice.addressType ?? '', firstThree(ports), firstThree(addresses), age(obj, now)] };
  },
};

const BUILTIN_PRINTERS: Record<string, Printer> = {
  '/services': services,
  'discovery.k8s.io/endpointslices': endpointSlices,
  'node.k8s.io/runtimeclasses': {
    columns: [NAME, column('Handler', 'string', 'The runtime on the node that runs pods of this class.'), AGE],
    row: (obj, now) => ({ cells: [obj.metadata.name, (obj as Json).handler ?? '', age(obj, now)] }),
  },
  '/pods': pods,
  '/nodes': nodes,
  '/namespaces': {
    columns: [NAME, column('Status', 'string', 'The phase of the namespace: Active or Terminating.'), AGE],
    row: (obj, now) => ({ cells: [obj.metadata.name, (obj as Json).status?.phase ?? '', age(obj, now)] }),
  },
  '/configmaps': {
    columns: [NAME, column('Data', 'string', 'Number of keys in data and binaryData.'), AGE],
    row: (obj, now) => ({ cells: [obj.metadata.name, count((obj as Json).data) + count((obj as Json).binaryData), age(obj, now)] }),
  },
  '/secrets': {
    columns: [NAME, column('Type', 'string', 'The type of the secret.'), column('Data', 'string', 'Number of keys in data.'), AGE],
    row: (obj, now) => ({ cells: [obj.metadata.name, (obj as Json).type ?? '', count((obj as Json).data), age(obj, now)] }),
  },
  '/serviceaccounts': {
    columns: [NAME, column('Secrets', 'string', 'Number of secrets listed for the service account.'), AGE],
    row: (obj, now) => ({ cells: [obj.metadata.name, count((obj as Json).secrets), age(obj, now)] }),
  },
  '/events': eventPrinter((obj) => obj as EventFields),
  'events.k8s.io/events': eventPrinter((obj) => coreEventFields(obj as Json)),
  'coordination.k8s.io/leases': {
    columns: [NAME, column('Holder', 'string', 'Who holds the lease.'), AGE],
    row: (obj, now) => ({ cells: [obj.metadata.name, (obj as Json).spec?.holderIdentity ?? '', age(obj, now)] }),
  },
  'apiextensions.k8s.io/customresourcedefinitions': namedCreatedAt,
  'rbac.authorization.k8s.io/roles': namedCreatedAt,
  'rbac.authorization.k8s.io/clusterroles': namedCreatedAt,
  'rbac.authorization.k8s.io/rolebindings': bindings,
  'rbac.authorization.k8s.io/clusterrolebindings': bindings,
  'certificates.k8s.io/certificatesigningrequests': {
    columns: [
      NAME, AGE,
      column('SignerName', 'string', 'Who is asked to sign the certificate.'),
      column('Requestor', 'string', 'The user who made the request.'),
      column('RequestedDuration', 'string', 'How long the certificate is asked to be valid.'),
      column('Condition', 'string', 'Pending, Approved or Denied, and whether it was issued or failed.'),
    ],
    row(obj, now) {
      const csr = obj as Json;
      const seconds = csr.spec?.expirationSeconds;
      return {
        cells: [
          csr.metadata.name, age(obj, now), orNone(csr.spec?.signerName), csr.spec?.username ?? '',
          typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>', csrCondition(csr),
        ],
      };
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Custom resources: NAME, then the CRD's additionalPrinterColumns, or AGE when it declares none.

const DEFAULT_CUSTOM_COLUMNS: PrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since the object was created.' },
];

/** The value a printer column shows for `value`, converted to the column's type as Kubernetes does. */
function customCell(type: PrinterColumn['type'], value: unknown, now: number): unknown {
  if (type === 'string') return printJsonPathValue(value);
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      return parseTime(value) === undefined ? '<invalid>' : since(value, now);
  }
}

function customPrinter(printerColumns: PrinterColumn[]): Printer {
  const paths = printerColumns.map((c): JsonPath | undefined => {
    try {
      return parseJsonPath(c.jsonPath);
    } catch {
      // CRD validation refuses such paths; one that slips through shows empty cells.
      return undefined;
    }
  });
  return {
    columns: [
      NAME,
      ...printerColumns.map((c) => column(c.name, c.type, c.description ?? `The value at ${c.jsonPath}.`, c.priority ?? 0, c.format ?? '')),
    ],
    row(obj, now) {
      const cells: unknown[] = [obj.metadata.name];
      printerColumns.forEach((c, i) => {
        let found: unknown[] = [];
        try {
          found = paths[i]?.find(obj) ?? [];
        } catch {
          // As in Kubernetes, a path that does not fit this object leaves the cell empty.
        }
        // Only the first value is shown, as Kubernetes does.
        cells.push(found.length === 0 ? null : customCell(c.type, found[0], now));
      });
      return { cells };
    },
  };
}

const customPrinters = new WeakMap<ResourceDefinition, Printer>();

function printerFor(resource: ResourceDefinition): Printer {
  const builtin = BUILTIN_PRINTERS[`${resource.group}/${resource.plural}`];
  if (builtin) return builtin;
  let printer = customPrinters.get(resource);
  if (!printer) {
    printer = customPrinter(resource.printerColumns?.length ? resource.printerColumns : DEFAULT_CUSTOM_COLUMNS);
    customPrinters.set(resource, printer);
  }
  return printer;
}

/** The columns a Table of this resource has, priority-1 (wide) columns included. */
export function tableColumnsFor(resource: ResourceDefinition): TableColumnDefinition[] {
  return printerFor(resource).columns;
}

function rowObject(obj: KubeObject, include: IncludeObject): TableRow['object'] {
  if (include === 'None') return null;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function tableMetadata(objects: KubeObject[], listMeta: ListMeta | undefined): ListMeta {
  const source: ListMeta = listMeta ?? (objects.length === 1 ? { resourceVersion: objects[0].metadata.resourceVersion } : {});
  const meta: ListMeta = {};
  if (source.resourceVersion) meta.resourceVersion = source.resourceVersion;
  if (source.continue) meta.continue = source.continue;
  if (source.remainingItemCount !== undefined) meta.remainingItemCount = source.remainingItemCount;
  return meta;
}

/**
 * Converts objects of `resource` to a Table with one row per object. For watch events, call it
 * with the event's object alone.
 */
export function toTable(resource: ResourceDefinition, objects: KubeObject[], opts: TableOptions = {}): Table {
  const printer = printerFor(resource);
  const now = (opts.now ?? new Date()).getTime();
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: opts.apiVersion ?? 'meta.k8s.io/v1',
    metadata: tableMetadata(objects, opts.listMeta),
    columnDefinitions: printer.columns,
    rows: objects.map((obj) => {
      const { cells, conditions } = printer.row(obj, now);
      return { cells, ...(conditions ? { conditions } : {}), object: rowObject(obj, include) };
    }),
  };
}
