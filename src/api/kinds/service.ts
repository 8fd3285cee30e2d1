// core/v1 Service: a name for a set of endpoints. Granary stores and serves Services with
// Kubernetes' fields, defaults and validation, allocates their cluster IPs and node ports, and
// proxies nothing: no traffic goes to a cluster IP here. Operators publish where bare-metal
// services listen as EndpointSlices (discovery.ts), and tools such as Prometheus discover them.
import { Type, type Static } from '@sinclair/typebox';
import { boolean, describe, int32, intOrString, keyedList, list, object, oneOf, string, stringMap } from './fields.ts';
import { ConditionSchema, kindSchema } from './meta.ts';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

export const ServicePortSchema = object('A port the service exposes.', {
  name: string('Name of the port, a DNS label; required when the service has more than one port. Matches the name of EndpointSlice ports.'),
  protocol: oneOf(PROTOCOLS, 'IP protocol of the port: TCP (the default), UDP or SCTP.', { default: 'TCP' }),
  appProtocol: string('Application protocol of the port, a label-style name such as http or example.com/proto.'),
  port: int32('The port the service exposes.'),
  targetPort: intOrString('Number or name of the port on the endpoints; defaults to port.'),
  nodePort: int32('The port on every node for NodePort and LoadBalancer services; allocated when not given.'),
}, ['port']);
export type ServicePort = Static<typeof ServicePortSchema>;

export const SessionAffinityConfigSchema = object('Settings of session affinity.', {
  clientIP: object('Settings of ClientIP session affinity.', {
    timeoutSeconds: int32('How long a client sticks to one endpoint, 1 to 86400 seconds (default 10800).'),
  }),
});

export const PortStatusSchema = object('The state of one port of a load balancer ingress point.', {
  port: int32('Port number.'),
  protocol: oneOf(PROTOCOLS, 'Protocol of the port.'),
  error: string('Why the port is in error, as a CamelCase reason; empty when it is fine.'),
}, ['port', 'protocol']);

export const LoadBalancerIngressSchema = object('An ingress point of a load balancer.', {
  ip: string('IP address of the ingress point.'),
  hostname: string('DNS name of the ingress point.'),
  ipMode: oneOf(['VIP', 'Proxy'], 'How traffic reaches the ingress IP: VIP (delivered to the node with the IP as destination) or Proxy.'),
  ports: list(PortStatusSchema, 'State of the ports of the ingress point.'),
});

export const LoadBalancerStatusSchema = object('The state of a load balancer.', {
  ingress: list(LoadBalancerIngressSchema, 'Ingress points of the load balancer.'),
});

export const ServiceSpecSchema = object('What the service exposes and how.', {
  ports: list(ServicePortSchema, 'Ports the service exposes.', {
    listType: 'map', keys: ['port', 'protocol'], patchStrategy: 'merge', patchMergeKey: 'port',
  }),
  selector: stringMap('Pods with these labels back the service. Without a selector, endpoints are published by whoever manages them (as EndpointSlices).', 'atomic'),
  clusterIP: string('The virtual IP of the service, allocated from the service IP range when empty; "None" makes a headless service. Granary proxies nothing to it. Immutable.'),
  clusterIPs: list(Type.String(), 'The cluster IPs, at most one per IP family; the first equals clusterIP.'),
  type: oneOf(SERVICE_TYPES, 'How the service is exposed: ClusterIP (the default), NodePort, LoadBalancer or ExternalName.'),
  externalIPs: list(Type.String(), 'Further IP addresses nodes accept traffic for on behalf of the service; not managed by the cluster.'),
  sessionAffinity: oneOf(['ClientIP', 'None'], 'Session affinity: None (the default) or ClientIP.'),
  loadBalancerIP: string('Deprecated: the IP a load balancer should use, where the platform supports it.'),
  loadBalancerSourceRanges: list(Type.String(), 'Client address ranges (CIDRs) a load balancer admits.'),
  externalName: string('For type ExternalName: the DNS name the service is an alias of (a CNAME).'),
  externalTrafficPolicy: oneOf(['Cluster', 'Local'], 'How nodes route traffic received on external addresses: Cluster (the default) or Local.'),
  healthCheckNodePort: int32('For LoadBalancer services with externalTrafficPolicy Local: the node port of the health check; allocated when not given.'),
  publishNotReadyAddresses: boolean('Publish endpoints whether or not they are ready.'),
  sessionAffinityConfig: describe(SessionAffinityConfigSchema, 'Settings of session affinity.'),
  ipFamilies: list(Type.String(), 'IP families of the service (IPv4, IPv6), matching clusterIPs; set by the server when empty.'),
  ipFamilyPolicy: oneOf(['SingleStack', 'PreferDualStack', 'RequireDualStack'], 'Whether the service has one IP family or two; SingleStack when not given.'),
  allocateLoadBalancerNodePorts: boolean('For LoadBalancer services: whether node ports are allocated (default true).'),
  loadBalancerClass: string('For LoadBalancer services: which load balancer implementation handles the service. Immutable.'),
  internalTrafficPolicy: oneOf(['Cluster', 'Local'], 'How nodes route traffic to the cluster IP: Cluster (the default) or Local.'),
  trafficDistribution: string('A preference for how traffic is spread over the endpoints, e.g. PreferClose.'),
});
export type ServiceSpec = Static<typeof ServiceSpecSchema>;

export const ServiceStatusSchema = object('The observed state of the service.', {
  loadBalancer: describe(LoadBalancerStatusSchema, 'The load balancer of the service, if it has one.'),
  conditions: keyedList(ConditionSchema, 'type', 'Current conditions of the service.'),
});

export const ServiceSchema = kindSchema('A named set of endpoints (ports on pods or hosts) and how it is exposed.', {
  spec: describe(ServiceSpecSchema, 'What the service exposes and how.'),
  status: describe(ServiceStatusSchema, 'The observed state of the service.'),
});
export type Service = Static<typeof ServiceSchema>;

