import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJavaProperties } from './java-properties.ts';
import { writeHadoopXml } from './hadoop-xml.ts';
import { writeEnvFile } from './env-file.ts';

/** Keys and values that exercise every escaping rule. */
const tricky: Record<string, string> = {
  'server.1': 'zk-0.zk:2888:3888;2181',
  'key with spaces': '  leading and trailing  ',
  'a=b:c': 'x=y:z',
  '#comment': '!bang',
  'back\\slash': 'C:\\data\\zk',
  'tab\tkey': 'line1\nline2\r\n\fend\t',
  'unicode-é': 'ünïcødé ✓ 😀',
  'empty': '',
  'ctrl': '\u0001\u007f',
};

test('Java properties escape as Properties.store does, with sorted keys and no timestamp', () => {
  assert.equal(writeJavaProperties({ tickTime: '2000', 'server.1': 'zk-0.zk:2888:3888', dataDir: '/var/lib/zookeeper' }),
    'dataDir=/var/lib/zookeeper\nserver.1=zk-0.zk\\:2888\\:3888\ntickTime=2000\n');
  assert.equal(writeJavaProperties({ 'a b': ' x y' }), 'a\\ b=\\ x y\n');
  assert.equal(writeJavaProperties({ k: 'é\u0001😀' }), 'k=\\u00E9\\u0001\\uD83D\\uDE00\n');
  assert.equal(writeJavaProperties({ 'x#!': 'a\\b\t\n\r\f' }), 'x\\#\\!=a\\\\b\\t\\n\\r\\f\n');
  assert.equal(writeJavaProperties({}), '');
  assert.match(writeJavaProperties(tricky), /^[\x20-\x7e\n]*$/, 'output is printable ASCII');
});

const hasJava = spawnSync('java', ['-version']).status === 0;

test('java.util.Properties reads every key and value back exactly', { skip: !hasJava && 'java is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-props-'));
  try {
    writeFileSync(join(dir, 'in.properties'), writeJavaProperties(tricky));
    // Prints each entry as hex code units, so the comparison does not depend on output encodings.
    writeFileSync(join(dir, 'Dump.java'), `
      import java.io.FileInputStream;
      import java.util.Properties;
      import java.util.TreeSet;
      public class Dump {
        static String hex(String s) { StringBuilder b = new StringBuilder(); for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c)); return b.toString(); }
        public static void main(String[] args) throws Exception {
          Properties p = new Properties();
          try (FileInputStream in = new FileInputStream(args[0])) { p.load(in); }
          for (String k : new TreeSet<>(p.stringPropertyNames())) System.out.println(hex(k) + " " + hex(p.getProperty(k)));
        }
      }`);
    const out = execFileSync('java', [join(dir, 'Dump.java'), join(dir, 'in.properties')], { encoding: 'utf8' });
    const hex = (s: string) => [...Array(s.length).keys()].map((i) => s.charCodeAt(i).toString(16).padStart(4, '0')).join('');
    const read = new Map(out.trim().split('\n').map((line) => line.split(' ') as [string, string]));
    assert.equal(read.size, Object.keys(tricky).length);
    for (const [k, v] of Object.entries(tricky)) assert.equal(read.get(hex(k)), hex(v), `entry ${JSON.stringify(k)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Hadoop XML lists properties sorted and escaped', () => {
  assert.equal(writeHadoopXml({ 'fs.defaultFS': 'hdfs://nn:8020', 'a.b': `<&>"'\r` }), [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<configuration>',
    '  <property>',
    '    <name>a.b</name>',
    '    <value>&lt;&amp;&gt;&quot;&apos;&#13;</value>',
    '  </property>',
    '  <property>',
    '    <name>fs.defaultFS</name>',
    '    <value>hdfs://nn:8020</value>',
    '  </property>',
    '</configuration>',
    '',
  ].join('\n'));
  assert.equal(writeHadoopXml({}), '<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n</configuration>\n');
  assert.throws(() => writeHadoopXml({ k: 'bell\u0007' }), /U\+0007, which XML cannot carry/);
});

test('env files quote only what needs quoting', () => {
  assert.equal(writeEnvFile({ ZK_SERVER_HEAP: '1024', JVMFLAGS: '-Xmx1g -Dzookeeper.4lw.commands.whitelist=*', A: "it's", E: '' }),
    "A='it'\\''s'\nE=''\nJVMFLAGS='-Xmx1g -Dzookeeper.4lw.commands.whitelist=*'\nZK_SERVER_HEAP=1024\n");
  assert.equal(writeEnvFile({ PATHS: '/a:/b,c@d%e+f=g' }), 'PATHS=/a:/b,c@d%e+f=g\n');
  assert.throws(() => writeEnvFile({ 'BAD-NAME': 'x' }), /"BAD-NAME" is not a valid environment variable name/);
  assert.throws(() => writeEnvFile({ A: 'a\0b' }), /NUL/);
});

test('a POSIX shell reads every env file value back exactly', () => {
  const values: Record<string, string> = {
    PLAIN: 'value', SPACES: ' a  b ', QUOTES: `it's "quoted"`, SHELL: '$HOME `id` $(id) \\n * ? ~ ; & | < > ( ) { } [ ] !',
    NEWLINE: 'line1\nline2', EMPTY: '', UNICODE: 'ünïcødé ✓',
  };
  const dir = mkdtempSync(join(tmpdir(), 'granary-env-'));
  try {
    writeFileSync(join(dir, 'env'), writeEnvFile(values));
    for (const [name, value] of Object.entries(values)) {
      const out = execFileSync('sh', ['-c', `. "$1"; printf '%s' "$${name}"`, 'sh', join(dir, 'env')], { encoding: 'utf8', env: {} });
      assert.equal(out, value, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
