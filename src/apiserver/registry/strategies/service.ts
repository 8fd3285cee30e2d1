// Services as Kubernetes keeps them (pkg/apis/core/v1 defaults, pkg/registry/core/service and
// core validation): defaults, cluster IPs and node ports allocated before validation, the values
// a client leaves out on an update kept from the stored object, fields a type change leaves
// behind dropped, and Kubernetes' checks with its messages. Granary proxies nothing: cluster IPs
// and node ports are allocated so that every client sees the Service it expects (see
// ../service-allocator.ts).
import type { StatusCause } from '../../../api/meta.ts';
import type { Service, ServicePort, ServiceSpec } from '../../../api/kinds/service.ts';
import { SERVICE_TYPES } from '../../../api/kinds/service.ts';
import { errors } from '../../errors.ts';
import { child, fieldError, index, key } from '../../validation/field.ts';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName } from '../../validation/names.ts';
import {
  isIpAddress, parseIp, validateCidr, validateIp, validateNonSpecialIp, validatePortNumber, validatePortNumberOrName, validateProtocol,
  type IpFamily,
} from '../../validation/network.ts';
import { validateLabels } from '../../validation/objectmeta.ts';
import type { ServiceAllocator } from '../service-allocator.ts';
import type { Strategy } from '../strategy.ts';

type Spec = ServiceSpec;

const NONE = 'None';
const DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800;
const MAX_CLIENT_IP_TIMEOUT_SECONDS = 86400;
const IP_FAMILIES: IpFamily[] = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const LOAD_BALANCER_SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

const specOf = (svc: Service): Spec => (svc.spec ??= {});
const isHeadless = (spec: Spec) => spec.clusterIPs?.length === 1 && spec.clusterIPs[0] === NONE;
/** Every type but ExternalName has a cluster IP ("None" counts as one). */
const needsClusterIp = (spec: Spec) => spec.type !== 'ExternalName';
const needsNodePorts = (spec: Spec) => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
const allocatesNodePorts = (spec: Spec) => spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
const externallyAccessible = (spec: Spec) => spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.type === 'ClusterIP' && (spec.externalIPs?.length ?? 0) > 0);
const needsHealthCheck = (spec: Spec) => spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

// ---------------------------------------------------------------------------------------------
// Defaults (SetDefaults_Service), applied to every create and update body.

function setDefaults(svc: Service): void {
  const spec = specOf(svc);
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT_SECONDS } };
  }
  spec.type ||= 'ClusterIP';
  for (const port of spec.ports ?? []) {
    if (!isRecordLike(port)) continue;
    port.protocol ||= 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (externallyAccessible(spec)) spec.externalTrafficPolicy ||= 'Cluster';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

function isRecordLike(value: unknown): value is ServicePort {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Keeping clusterIP and clusterIPs in step, and what an update leaves out or leaves behind.

/** clusterIP and clusterIPs say the same thing; a client that sets only one means both. */
function normalizeClusterIps(spec: Spec, old: Spec | undefined): void {
  if (!old) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if (old.clusterIPs?.length && !spec.clusterIPs?.length && old.clusterIP === spec.clusterIP) spec.clusterIPs = old.clusterIPs;
  if ((old.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (old.clusterIP && !spec.clusterIP) {
      if (same(old.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (same(old.clusterIPs, spec.clusterIPs)) {
      spec.clusterIPs = [spec.clusterIP!];
    }
  }
}

/** Allocated values a client did not send back (a PUT of the original manifest) are kept. */
function keepAllocatedValues(spec: Spec, old: Spec): void {
  if (needsClusterIp(old) && needsClusterIp(spec)) {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if (!spec.clusterIPs?.length && old.clusterIPs?.length) spec.clusterIPs = [...old.clusterIPs];
  }
  if (needsNodePorts(old) && needsNodePorts(spec)) {
    for (const port of spec.ports ?? []) {
      if (port.nodePort) continue;
      const before = (old.ports ?? []).find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
      if (before?.nodePort) port.nodePort = before.nodePort;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(spec) && !spec.healthCheckNodePort && old.healthCheckNodePort) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** Fields the new type has no use for are wiped when the client left them as they were. */
function dropTypeDependentFields(svc: Service, spec: Spec, old: Spec): void {
  if (needsClusterIp(old) && !needsClusterIp(spec)) {
    if (same(old.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same(old.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (same(old.ipFamilyPolicy, spec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(spec) && same(old.ports?.map((p) => p.nodePort), spec.ports?.map((p) => p.nodePort))) {
    for (const port of spec.ports ?? []) delete port.nodePort;
  }
  if (needsHealthCheck(old) && !needsHealthCheck(spec) && old.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (old.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (old.allocateLoadBalancerNodePorts !== undefined && old.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (old.loadBalancerClass !== undefined && old.loadBalancerClass === spec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(spec) && old.externalTrafficPolicy === spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (spec.type !== 'LoadBalancer' && svc.status) svc.status = { ...svc.status, loadBalancer: {} };
}

// ---------------------------------------------------------------------------------------------
// Allocation (Kubernetes' beginCreate / beginUpdate).

/** Sets ipFamilyPolicy and ipFamilies for a single-stack cluster of `family`, or refuses what it cannot serve. */
function initIpFamilies(svc: Service, spec: Spec, old: Spec | undefined, family: IpFamily): void {
  if (spec.type === 'ExternalName') return;
  spec.ipFamilyPolicy ??= old?.ipFamilyPolicy ?? (spec.clusterIP === NONE && !Object.keys(spec.selector ?? {}).length ? 'RequireDualStack' : 'SingleStack');
  const causes: StatusCause[] = validateClusterIpFields(spec);
  if (causes.length > 0) throw errors.invalid(target(svc), causes);
  if (spec.ipFamilyPolicy === 'SingleStack') {
    if (spec.clusterIPs?.length === 2) causes.push(fieldError.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (spec.ipFamilies?.length === 2) causes.push(fieldError.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }
  const families = (spec.ipFamilies ??= []) as IpFamily[];
  (spec.clusterIPs ?? []).forEach((ip, i) => {
    if (ip === NONE || i < families.length) return;
    const ipFamily = familyOf(ip);
    if (ipFamily === family) families.push(ipFamily);
    else causes.push(fieldError.invalid(index('spec.clusterIPs', i), spec.clusterIPs, `${ipFamily} is not configured on this cluster`));
  });
  if (causes.length > 0) throw errors.invalid(target(svc), causes);
  if (spec.clusterIP === NONE && !Object.keys(spec.selector ?? {}).length) {
    // Headless without a selector: whatever families the endpoints have.
    if (families.length === 0) families.push(family);
    if (families.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    return;
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') causes.push(fieldError.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  families.forEach((f, i) => {
    if (f !== family) causes.push(fieldError.invalid(index('spec.ipFamilies', i), f, 'not configured on this cluster'));
  });
  if (causes.length > 0) throw errors.invalid(target(svc), causes);
  if (families.length === 0) families.push(family);
}

function familyOf(ip: string): IpFamily {
  return parseIp(ip)?.family ?? 'IPv4';
}

function allocate(svc: Service, old: Spec | undefined, allocator: ServiceAllocator, dryRun: boolean): void {
  const spec = specOf(svc);
  initIpFamilies(svc, spec, old, allocator.family);
  // A cluster IP once set never changes (validation says so); only a service that had none gets one.
  const hadClusterIp = old !== undefined && needsClusterIp(old) && (old.clusterIPs?.length ?? 0) > 0;
  if (needsClusterIp(spec) && !isHeadless(spec) && !hadClusterIp) {
    const ip = allocator.allocateIp(svc, spec.clusterIPs?.[0] || undefined, dryRun, spec.clusterIPs);
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
  }
  // Node ports: what the client asked for, else a free one when the type calls for it; ports
  // of one number (TCP and UDP) share theirs.
  const byPort = new Map<number, number>();
  const taken = new Set<number>();
  (spec.ports ?? []).forEach((port, i) => {
    if (!needsNodePorts(spec) || (!port.nodePort && !allocatesNodePorts(spec))) return;
    const shared = byPort.get(port.port);
    if (shared !== undefined && (!port.nodePort || port.nodePort === shared)) {
      port.nodePort = shared;
      return;
    }
    const requested = port.nodePort || (spec.ports ?? []).find((p) => p.port === port.port && p.nodePort)?.nodePort;
    port.nodePort = allocator.allocateNodePort(svc, requested || undefined, taken, dryRun, child(index('spec.ports', i), 'nodePort'));
    taken.add(port.nodePort);
    if (!byPort.has(port.port)) byPort.set(port.port, port.nodePort);
  });
  if (needsHealthCheck(spec) && (!old || !needsHealthCheck(old) || !spec.healthCheckNodePort)) {
    spec.healthCheckNodePort = allocator.allocateNodePort(svc, spec.healthCheckNodePort || undefined, taken, dryRun, 'spec.healthCheckNodePort');
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (ValidateService, ValidateServiceUpdate, ValidateServiceStatusUpdate).

function validateClusterIpFields(spec: Spec): StatusCause[] {
  if (spec.type === 'ExternalName') return [];
  const causes: StatusCause[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) causes.push(fieldError.required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP) causes.push(fieldError.invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    causes.push(fieldError.invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!(IP_FAMILIES as string[]).includes(f)) causes.push(fieldError.notSupported(index('spec.ipFamilies', i), f, IP_FAMILIES));
    if (seen.has(f)) causes.push(fieldError.duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    causes.push(fieldError.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  let invalidIps = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === NONE) {
      if (ips.length > 1) {
        invalidIps = true;
        causes.push(fieldError.invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    const bad = validateIp(index('spec.clusterIPs', i), ip);
    if (bad.length > 0) invalidIps = true;
    causes.push(...bad);
  });
  if (ips.length > 2) causes.push(fieldError.invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (invalidIps) return causes;
  if (ips.length > 1 && familyOf(ips[0]) === familyOf(ips[1])) {
    causes.push(fieldError.invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(spec)) {
    ips.forEach((ip, i) => {
      const f = spec.ipFamilies?.[i];
      if (f && f !== familyOf(ip)) causes.push(fieldError.invalid(index('spec.clusterIPs', i), ip, `expected an ${f} value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return causes;
}

function validatePort(port: ServicePort, path: string, requireName: boolean, names: Set<string>): StatusCause[] {
  const causes: StatusCause[] = [];
  if (requireName && !port.name) causes.push(fieldError.required(child(path, 'name')));
  else if (port.name) {
    causes.push(...isDns1123Label(port.name).map((msg) => fieldError.invalid(child(path, 'name'), port.name, msg)));
    if (names.has(port.name)) causes.push(fieldError.duplicate(child(path, 'name'), port.name));
    names.add(port.name);
  }
  // An absent number is Go's zero value, 0.
  causes.push(...validatePortNumber(child(path, 'port'), port.port ?? 0));
  causes.push(...validateProtocol(child(path, 'protocol'), port.protocol));
  causes.push(...validatePortNumberOrName(child(path, 'targetPort'), port.targetPort ?? 0));
  if (port.appProtocol !== undefined) causes.push(...isQualifiedName(port.appProtocol).map((msg) => fieldError.invalid(child(path, 'appProtocol'), port.appProtocol, msg)));
  return causes;
}

function validateService(svc: Service): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = specOf(svc);
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !isHeadless(spec) && spec.type !== 'ExternalName') causes.push(fieldError.required('spec.ports'));
  if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && isHeadless(spec)) {
    causes.push(fieldError.invalid('spec.clusterIPs[0]', NONE, `may not be set to 'None' for ${spec.type} services`));
  }
  if (spec.type === 'ExternalName') {
    if (spec.clusterIPs?.length) causes.push(fieldError.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (spec.ipFamilies?.length) causes.push(fieldError.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined) causes.push(fieldError.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname) causes.push(...isDns1123Subdomain(cname).map((msg) => fieldError.invalid('spec.externalName', cname, msg)));
    else causes.push(fieldError.required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => causes.push(...validatePort(port, index('spec.ports', i), ports.length > 1, names)));
  if (spec.selector) causes.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) causes.push(fieldError.required('spec.sessionAffinity'));
  else if (spec.sessionAffinity !== 'ClientIP' && spec.sessionAffinity !== 'None') causes.push(fieldError.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!spec.sessionAffinityConfig) causes.push(fieldError.required('spec.sessionAffinityConfig', 'when session affinity type is ClientIP'));
    else if (!spec.sessionAffinityConfig.clientIP) causes.push(fieldError.required('spec.sessionAffinityConfig.clientIP', 'when session affinity type is ClientIP'));
    else if (timeout === undefined || timeout <= 0 || timeout > MAX_CLIENT_IP_TIMEOUT_SECONDS) {
      causes.push(fieldError.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout ?? null, `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT_SECONDS}`));
    }
  } else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    causes.push(fieldError.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  causes.push(...validateClusterIpFields(spec));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const path = index('spec.externalIPs', i);
    const bad = validateIp(path, ip);
    causes.push(...(bad.length > 0 ? bad : validateNonSpecialIp(path, ip)));
  });
  if (!spec.type) causes.push(fieldError.required('spec.type'));
  else if (!(SERVICE_TYPES as readonly string[]).includes(spec.type)) causes.push(fieldError.notSupported('spec.type', spec.type, [...SERVICE_TYPES].sort()));
  if (spec.type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (port.nodePort) causes.push(fieldError.forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const servicePorts = new Set<string>();
  ports.forEach((port, i) => {
    if (port.nodePort) {
      const id = `${port.protocol}/${port.nodePort}`;
      if (nodePorts.has(id)) causes.push(fieldError.duplicate(child(index('spec.ports', i), 'nodePort'), port.nodePort));
      nodePorts.add(id);
    }
    const id = `${port.protocol}/${port.port}`;
    if (servicePorts.has(id)) causes.push(fieldError.duplicate(index('spec.ports', i), { port: port.port, protocol: port.protocol }));
    servicePorts.add(id);
  });
  causes.push(...validateSourceRanges(svc, spec));
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    causes.push(fieldError.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.loadBalancerClass !== undefined) {
    if (spec.type !== 'LoadBalancer') causes.push(fieldError.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else causes.push(...isQualifiedName(spec.loadBalancerClass).map((msg) => fieldError.invalid('spec.loadBalancerClass', spec.loadBalancerClass, msg)));
  }
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) causes.push(fieldError.invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) {
    causes.push(fieldError.required('spec.externalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
    causes.push(fieldError.notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (!needsHealthCheck(spec)) {
    if (spec.healthCheckNodePort) causes.push(fieldError.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (!spec.healthCheckNodePort) {
    causes.push(fieldError.required('spec.healthCheckNodePort'));
  } else {
    causes.push(...validatePortNumber('spec.healthCheckNodePort', spec.healthCheckNodePort));
  }
  if (spec.internalTrafficPolicy === undefined) {
    if (spec.type !== 'ExternalName') causes.push(fieldError.required('spec.internalTrafficPolicy'));
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    causes.push(fieldError.notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose') {
    causes.push(fieldError.notSupported('spec.trafficDistribution', spec.trafficDistribution, ['PreferClose']));
  }
  causes.push(...validateLoadBalancerStatus(svc, spec));
  return causes;
}

function validateSourceRanges(svc: Service, spec: Spec): StatusCause[] {
  const causes: StatusCause[] = [];
  const annotation = svc.metadata.annotations?.[LOAD_BALANCER_SOURCE_RANGES_ANNOTATION];
  if (spec.loadBalancerSourceRanges?.length) {
    // Kubernetes reports this field with a capital L.
    const path = 'spec.LoadBalancerSourceRanges';
    if (spec.type !== 'LoadBalancer') causes.push(fieldError.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    spec.loadBalancerSourceRanges.forEach((range, i) => causes.push(...validateCidr(index(path, i), range.trim())));
  } else if (annotation !== undefined) {
    const path = key('metadata.annotations', LOAD_BALANCER_SOURCE_RANGES_ANNOTATION);
    if (spec.type !== 'LoadBalancer') causes.push(fieldError.forbidden(path, "may only be used when `type` is 'LoadBalancer'"));
    if (annotation.trim()) for (const range of annotation.split(',')) causes.push(...validateCidr(path, range.trim()));
  }
  return causes;
}

function validateLoadBalancerStatus(svc: Service, spec: Spec): StatusCause[] {
  const causes: StatusCause[] = [];
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length > 0 && spec.type !== 'LoadBalancer') {
    causes.push(fieldError.forbidden('status.loadBalancer.ingress', "may only be used when `spec.type` is 'LoadBalancer'"));
  }
  ingress.forEach((point, i) => {
    const path = index('status.loadBalancer.ingress', i);
    if (point.ip) causes.push(...validateIp(child(path, 'ip'), point.ip));
    if (point.ipMode !== undefined) {
      if (!point.ip) causes.push(fieldError.required(child(path, 'ipMode'), 'must be specified when `ip` is set'));
      else if (point.ipMode !== 'VIP' && point.ipMode !== 'Proxy') causes.push(fieldError.notSupported(child(path, 'ipMode'), point.ipMode, ['Proxy', 'VIP']));
    }
    if (point.hostname) {
      causes.push(...isDns1123Subdomain(point.hostname).map((msg) => fieldError.invalid(child(path, 'hostname'), point.hostname, msg)));
      if (isIpAddress(point.hostname)) causes.push(fieldError.invalid(child(path, 'hostname'), point.hostname, 'must be a DNS name, not an IP address'));
    }
    (point.ports ?? []).forEach((p, j) => {
      causes.push(...validatePortNumber(child(index(child(path, 'ports'), j), 'port'), p.port));
      causes.push(...validateProtocol(child(index(child(path, 'ports'), j), 'protocol'), p.protocol));
    });
  });
  return causes;
}

function validateServiceUpdate(spec: Spec, old: Spec): StatusCause[] {
  const causes: StatusCause[] = [];
  if (spec.type !== 'ExternalName' && old.type !== 'ExternalName' && !(isHeadless(old) && isHeadless(spec))) {
    const before = old.clusterIPs ?? [];
    const after = spec.clusterIPs ?? [];
    if (before.length > 0 && after.length === 0) {
      causes.push(fieldError.invalid('spec.clusterIPs[0]', after, 'primary clusterIP can not be unset'));
    } else if (before.length > 0 && after[0] !== before[0]) {
      causes.push(fieldError.invalid('spec.clusterIPs[0]', after, 'may not change once set'));
    }
    if (!isHeadless(old) && !isHeadless(spec) && old.ipFamilies?.length && spec.ipFamilies?.[0] !== old.ipFamilies[0]) {
      causes.push(fieldError.invalid('spec.ipFamilies[0]', spec.ipFamilies ?? [], 'may not change once set'));
    }
  }
  if (old.type === 'LoadBalancer' && spec.type === 'LoadBalancer' && old.loadBalancerClass !== spec.loadBalancerClass) {
    causes.push(fieldError.invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(old) && needsHealthCheck(spec) && old.healthCheckNodePort !== spec.healthCheckNodePort) {
    causes.push(fieldError.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return causes;
}

function target(svc: Service) {
  return { group: '', kind: 'Service', name: svc.metadata.name };
}

export function serviceStrategy(allocator: ServiceAllocator): Strategy {
  return {
    nameRule: 'dns1035label',
    defaults: (obj) => setDefaults(obj as Service),
    beginCreate(obj, dryRun) {
      const svc = obj as Service;
      normalizeClusterIps(specOf(svc), undefined);
      allocate(svc, undefined, allocator, dryRun);
    },
    beginUpdate(obj, old, dryRun) {
      const svc = obj as Service;
      const before = specOf(old as Service);
      normalizeClusterIps(specOf(svc), before);
      keepAllocatedValues(specOf(svc), before);
      dropTypeDependentFields(svc, specOf(svc), before);
      allocate(svc, before, allocator, dryRun);
    },
    prepareForCreate(obj) {
      (obj as Service).status = { loadBalancer: {} };
    },
    validate: (obj) => validateService(obj as Service),
    validateUpdate: (obj, old) => validateServiceUpdate(specOf(obj as Service), specOf(old as Service)),
    selectableFields: (obj) => ({ 'spec.clusterIP': (obj as Service).spec?.clusterIP ?? '', 'spec.type': (obj as Service).spec?.type ?? '' }),
  };
}
