// The layering of docs/architecture.md, enforced from the imports of every module under src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { layeringViolations, LAYERS, relativePath } from './support/layering.ts';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relativePath(ROOT, path), readFileSync(path, 'utf8'));
  }
  return files;
}

test('every module under src/ imports only its own layer and the layers below it', () => {
  const files = sources(join(ROOT, 'src'));
  assert.ok(files.size > 100, `the check read the source tree (${files.size} files)`);
  const layers = new Set([...files.keys()].map((f) => f.split('/')[1]));
  assert.deepEqual([...layers].filter((l) => !(l in LAYERS)), [], 'every folder under src/ is a layer');
  const violations = layeringViolations(files);
  assert.deepEqual(violations, [], violations.map((v) => `${v.file} imports ${v.imports}: ${v.why}`).join('\n'));
});

test('an import across layers, in any form, is a violation', () => {
  const violations = layeringViolations(new Map([
    ['src/api/kinds/pod.ts', "import type { KubeClient } from '../../client/client.ts';"],
    ['src/api/io.ts', "import { readFile } from 'node:fs/promises';"],
    ['src/client/client.ts', "export { Controller } from '../runtime/controller.ts';"],
    ['src/runtime/lazy.ts', "const agent = await import('../agent/agent.ts');"],
    ['src/apiserver/server.ts', "import { KubeClient } from '../client/client.ts';\nimport { Pod } from '../api/kinds/core.ts';"],
    ['src/operators/zookeeper/cluster.ts', "import { startAgent } from '../../agent/agent.ts';"],
    ['src/agent/support.ts', "import { eventually } from '../../test/support/eventually.ts';"],
    ['src/helpers.ts', "export const x = 1;"],
    // Allowed: downwards, within a layer, test support from a test, and packages.
    ['src/runtime/controller.ts', "import { KubeClient } from '../client/client.ts';\nimport { Store } from './store.ts';\nimport { trace } from '@opentelemetry/api';"],
    ['src/cli/main.ts', "import { apiServer } from '../apiserver/server.ts';\nimport { OPERATORS } from '../operators/index.ts';"],
    ['src/agent/agent.test.ts', "import { eventually } from '../../test/support/eventually.ts';"],
  ]));
  assert.deepEqual(violations.map((v) => [v.file, v.imports]), [
    ['src/api/kinds/pod.ts', 'src/client/client.ts'],
    ['src/api/io.ts', 'node:fs/promises'],
    ['src/client/client.ts', 'src/runtime/controller.ts'],
    ['src/runtime/lazy.ts', 'src/agent/agent.ts'],
    ['src/apiserver/server.ts', 'src/client/client.ts'],
    ['src/operators/zookeeper/cluster.ts', 'src/agent/agent.ts'],
    ['src/agent/support.ts', 'test/support/eventually.ts'],
    ['src/helpers.ts', ''],
  ]);
  assert.match(violations[4].why, /src\/apiserver may import src\/api, src\/common, not src\/client/);
});
