// One declaration per Kubernetes field: src/api/kinds is the one place a kind's fields are
// declared. The types every other module uses are the schemas' static types, so no module
// describes a kind again with an ad-hoc `KubeObject & {...}`, and none needs `as never` to pass
// a kind to the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { PodSchema } from '../src/api/kinds/core.ts';
import { kindSchema } from '../src/api/kinds/meta.ts';
import type { KubeClient } from '../src/client/client.ts';
import { customResourceDefinition } from '../src/runtime/crd.ts';

const ROOT = join(import.meta.dirname, '..');

test('a kind is declared with kindSchema, and only such a schema defines a resource (checked by tsc)', () => {
  const DemoSchema = kindSchema('A demo.', { spec: Type.Object({ size: Type.Integer() }) }, ['spec']);
  const crd = customResourceDefinition({ group: 'demo.granary.dev', kind: 'Demo', plural: 'demos', versions: [{ name: 'v1', schema: DemoSchema, storage: true }] });
  assert.deepEqual(Object.keys(crd.spec.versions[0].schema!.openAPIV3Schema!.properties!), ['spec'], 'the envelope is the API server\'s to describe');
  customResourceDefinition({
    group: 'demo.granary.dev', kind: 'Demo', plural: 'demos',
    // @ts-expect-error a schema without the kind envelope (apiVersion, kind, metadata) defines no resource
    versions: [{ name: 'v1', schema: Type.Object({ spec: Type.Object({ size: Type.Integer() }) }), storage: true }],
  });
  assert.deepEqual(Object.keys(PodSchema.properties).slice(0, 3), ['apiVersion', 'kind', 'metadata']);
});

// The client's resource API takes the kinds' own types, and nothing that is not a KubeObject.
export function clientTakesKinds(client: KubeClient): void {
  client.resource<Static<typeof PodSchema>>('v1', 'Pod');
  // @ts-expect-error a type without apiVersion, kind and metadata is no kind
  client.resource<{ spec: { nodeName: string } }>('v1', 'Pod');
}

/** Every TypeScript file under these folders of the repository, tests excepted. */
function sourceFiles(...dirs: string[]): { path: string; text: string }[] {
  const files: { path: string; text: string }[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
      const path = join(entry.parentPath, entry.name);
      files.push({ path: path.slice(ROOT.length + 1), text: readFileSync(path, 'utf8') });
    }
  }
  return files;
}

/** Each line of `files` that matches `pattern`, as "path:line: text". */
function matches(files: { path: string; text: string }[], pattern: RegExp): string[] {
  return files.flatMap(({ path, text }) => text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`${path}:${i + 1}: ${line.trim()}`] : [])));
}

const CODE = ['src', 'examples', 'bench', 'test/support'];

test('no module describes a kind again as an intersection with KubeObject', () => {
  const files = sourceFiles(...CODE);
  assert.ok(files.length > 200, `the check read the code (${files.length} files)`);
  assert.deepEqual(matches(files, /\bKubeObject\s*&|&\s*KubeObject\b/), []);
});

test('no module casts with `as never`', () => {
  assert.deepEqual(matches(sourceFiles(...CODE), /\bas never\b/), []);
});

test('LabelSelector is declared once, in src/api/kinds/meta.ts', () => {
  const declarations = matches(sourceFiles('src'), /(interface|type)\s+LabelSelector(Requirement)?\b\s*(=|\{|<)|const\s+LabelSelector(Requirement)?Schema\s*=/);
  assert.deepEqual(declarations.map((d) => d.replace(/:\d+:.*/, '')), ['src/api/kinds/meta.ts', 'src/api/kinds/meta.ts', 'src/api/kinds/meta.ts', 'src/api/kinds/meta.ts']);
});

test('the checks above find what they look for', () => {
  const planted = [{ path: 'src/x.ts', text: "type Lease = KubeObject & { spec?: { holderIdentity?: string } };\nconst a = pods as never;\nexport interface LabelSelector { matchLabels?: Record<string, string> }" }];
  assert.equal(matches(planted, /\bKubeObject\s*&|&\s*KubeObject\b/).length, 1);
  assert.equal(matches(planted, /\bas never\b/).length, 1);
  assert.equal(matches(planted, /(interface|type)\s+LabelSelector(Requirement)?\b\s*(=|\{|<)|const\s+LabelSelector(Requirement)?Schema\s*=/).length, 1);
});
