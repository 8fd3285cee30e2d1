// The files a MonitoringStack's Prometheus and Alertmanager read, checked by Debian's own promtool
// and amtool (the prometheus and prometheus-alertmanager packages, which the tests install).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { productAlertRules } from '../index.ts';
import { alertmanagerConfig, alertRules, prometheusConfig } from './config.ts';
import type { MonitoringStack } from './crd.ts';

const stack = (spec: Partial<MonitoringStack['spec']> = {}): MonitoringStack => ({
  apiVersion: 'monitoring.granary.dev/v1alpha1', kind: 'MonitoringStack', metadata: { name: 'mon', namespace: 'ops' },
  spec: { prometheus: { nodeName: 'n1' }, alertmanager: { webhookUrl: 'http://127.0.0.1:9/hook' }, ...spec },
});

test('prometheus.yml, rules.yml and alertmanager.yml pass promtool and amtool; every product\'s rules are shipped', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-monitoring-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = { configDir: dir, tokenFile: join(dir, 'token'), caFile: join(dir, 'ca.crt') };
  writeFileSync(files.tokenFile, 'token');
  writeFileSync(files.caFile, '');
  const at = { prometheus: '127.0.0.2:9090', alertmanager: '127.0.0.2:9093', operatorEndpoint: 'https://127.0.0.1:8443', apiServer: '127.0.0.1:6443' };
  writeFileSync(join(dir, 'prometheus.yml'), prometheusConfig(stack(), at, files));
  const rules = alertRules(stack(), productAlertRules());
  writeFileSync(join(dir, 'rules.yml'), rules);
  writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig(stack()));
  execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { stdio: 'pipe' });
  execFileSync('amtool', ['check-config', join(dir, 'alertmanager.yml')], { stdio: 'pipe' });

  const groups = (parse(rules) as { groups: { name: string; rules: { alert: string; for: string }[] }[] }).groups;
  assert.deepEqual(groups.map((g) => g.name), ['granary', 'zookeeper']);
  assert.deepEqual(groups[1].rules.map((r) => `${r.alert} ${r.for}`), ['ZooKeeperServerDown 2m', 'ZooKeeperQuorumLost 1m']);
  const quick = parse(alertRules(stack({ alerts: { for: '5s' } }), productAlertRules())) as { groups: { rules: { for: string }[] }[] };
  assert.deepEqual([...new Set(quick.groups.flatMap((g) => g.rules.map((r) => r.for)))], ['5s'], 'spec.alerts.for is every rule\'s');
});
