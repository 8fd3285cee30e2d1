// What the operator knows about ZooKeeper's settings: the property catalogue (defaults,
// recommended values, types and bounds, per version), and how a ServerConfig maps onto it.
// Settings the operator must own (dataDir, the server list, client ports) are not here: they
// follow from the cluster's shape and are written by config.ts.
import { defineCatalogue, type PropertySpec } from '../../runtime/product-config/catalogue.ts';
import type { PropertyLayer } from '../../runtime/product-config/merge.ts';
import { SERVER_ROLE, type ServerConfig } from './crd.ts';

export const ZOO_CFG = 'zoo.cfg';
export const LOG4J_PROPERTIES = 'log4j.properties';

const server = [SERVER_ROLE];
const zooCfg = (name: string, rest: Omit<PropertySpec, 'name' | 'kind' | 'roles'>): PropertySpec => ({ name, kind: { file: ZOO_CFG }, roles: server, ...rest });
const log4j = (name: string, rest: Omit<PropertySpec, 'name' | 'kind' | 'roles'>): PropertySpec => ({ name, kind: { file: LOG4J_PROPERTIES }, roles: server, ...rest });

export const ZOOKEEPER_CATALOGUE = defineCatalogue([
  zooCfg('tickTime', { datatype: { type: 'duration', unit: 'ms', min: 1 }, default: [{ value: '2000' }], description: 'The basic time unit in milliseconds; heartbeats and timeouts are counted in ticks.' }),
  zooCfg('initLimit', { datatype: { type: 'integer', min: 1 }, default: [{ value: '10' }], description: 'Ticks a follower may take to connect and sync to the leader.' }),
  zooCfg('syncLimit', { datatype: { type: 'integer', min: 1 }, default: [{ value: '5' }], description: 'Ticks a follower may lag behind the leader before it is dropped.' }),
  zooCfg('maxClientCnxns', { datatype: { type: 'integer', min: 0 }, default: [{ value: '60' }], description: 'Concurrent connections one client address may hold to one server (0: no limit).' }),
  zooCfg('minSessionTimeout', { datatype: { type: 'duration', unit: 'ms', min: 1 }, description: 'Shortest session timeout a client may ask for (default 2 ticks).' }),
  zooCfg('maxSessionTimeout', { datatype: { type: 'duration', unit: 'ms', min: 1 }, description: 'Longest session timeout a client may ask for (default 20 ticks).' }),
  zooCfg('autopurge.snapRetainCount', { datatype: { type: 'integer', min: 3 }, default: [{ value: '3' }], description: 'Snapshots (and their logs) kept when purging.' }),
  zooCfg('autopurge.purgeInterval', {
    datatype: { type: 'integer', min: 0, unit: 'h' }, default: [{ value: '0' }], recommended: [{ value: '24' }],
    description: 'Hours between purges of old snapshots and logs (0: never). Granary recommends daily purges so disks do not fill.',
  }),
  zooCfg('4lw.commands.whitelist', {
    datatype: { type: 'string' }, recommended: [{ fromVersion: '3.5.3', value: 'srvr,mntr,ruok,conf,stat' }],
    description: 'Four-letter-word commands the server answers. The operator and readiness checks need srvr.',
  }),
  zooCfg('admin.enableServer', {
    datatype: { type: 'bool' }, default: [{ fromVersion: '3.5.0', value: 'true' }], recommended: [{ fromVersion: '3.5.0', value: 'false' }],
    description: 'The embedded HTTP admin server (port 8080 on every address). Off by default here: servers sharing a node would fight over the port.',
  }),
  zooCfg('snapCount', { datatype: { type: 'integer', min: 2 }, default: [{ value: '100000' }], description: 'Transactions between snapshots.' }),
  zooCfg('globalOutstandingLimit', { datatype: { type: 'integer', min: 1 }, default: [{ value: '1000' }], description: 'Queued client requests before the server throttles clients.' }),
  zooCfg('preAllocSize', { datatype: { type: 'memory', unit: 'Ki', min: 1 }, default: [{ value: '65536' }], description: 'Kilobytes the transaction log preallocates at a time.' }),
  zooCfg('reconfigEnabled', {
    datatype: { type: 'bool' }, default: [{ fromVersion: '3.5.3', value: 'false' }],
    description: 'Dynamic reconfiguration. The operator changes membership by rolling restarts and leaves this off.',
  }),
  log4j('log4j.rootLogger', { datatype: { type: 'string' }, recommended: [{ value: 'INFO, CONSOLE' }], description: 'Root log level and appenders; CONSOLE goes to the journal.' }),
  log4j('log4j.logger.org.apache.zookeeper.server.NIOServerCnxn', {
    datatype: { type: 'string' }, recommended: [{ value: 'WARN' }],
    description: 'Level of the per-connection log; at INFO it logs every four-letter word, and the readiness check sends one every few seconds.',
  }),
  log4j('log4j.appender.CONSOLE', { datatype: { type: 'string' }, recommended: [{ value: 'org.apache.log4j.ConsoleAppender' }], description: 'The console appender class.' }),
  log4j('log4j.appender.CONSOLE.layout', { datatype: { type: 'string' }, recommended: [{ value: 'org.apache.log4j.PatternLayout' }], description: 'The console layout.' }),
  log4j('log4j.appender.CONSOLE.layout.ConversionPattern', {
    datatype: { type: 'string' }, recommended: [{ value: '%d{ISO8601} [myid:%X{myid}] %-5p [%t:%C{1}@%L] - %m%n' }], description: 'The console line format.',
  }),
]);

/** The properties a typed ServerConfig sets (only those it sets, so lower layers show through). */
export function serverConfigProperties(config: ServerConfig): PropertyLayer {
  const zoo: Record<string, string> = {};
  if (config.tickTime !== undefined) zoo.tickTime = String(config.tickTime);
  if (config.initLimit !== undefined) zoo.initLimit = String(config.initLimit);
  if (config.syncLimit !== undefined) zoo.syncLimit = String(config.syncLimit);
  return { files: { [ZOO_CFG]: zoo } };
}
