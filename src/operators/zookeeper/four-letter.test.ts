import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { quorumHealth, serverState } from './four-letter.ts';

/** A stand-in that answers srvr as a ZooKeeper server in `mode` would, or as one not serving. */
async function fakeServer(mode: string | undefined): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    socket.once('data', (word) => {
      assert.equal(word.toString(), 'srvr');
      socket.end(mode ? `Zookeeper version: 3.8.0\nZxid: 0x100000002\nMode: ${mode}\nNode count: 5\n` : 'This ZooKeeper instance is not currently serving requests\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

test('srvr tells the mode, and a server out of quorum or down says why', async (t) => {
  const leader = await fakeServer('leader');
  const lost = await fakeServer(undefined);
  t.after(() => {
    leader.server.close();
    lost.server.close();
  });
  assert.deepEqual(await serverState('127.0.0.1', leader.port), { serving: true, mode: 'leader', zxid: '0x100000002' });
  const notServing = await serverState('127.0.0.1', lost.port);
  assert.equal(notServing.serving, false);
  assert.match((notServing as { reason: string }).reason, /not currently serving/);
  lost.server.close();
  const down = await serverState('127.0.0.1', lost.port);
  assert.match((down as { reason: string }).reason, /cannot be reached/);
});

test('a quorum is one leader with followers making a majority', async (t) => {
  const servers = await Promise.all(['leader', 'follower', undefined, 'follower', undefined].map(fakeServer));
  t.after(() => servers.forEach((s) => s.server.close()));
  const at = (i: number) => ({ id: i + 1, address: '127.0.0.1', clientPort: servers[i].port });
  const three = await quorumHealth([at(0), at(1), at(2)]);
  assert.equal(three.healthy, true, three.message);
  assert.deepEqual([three.leader, three.followers, three.down.map((d) => d.id)], [1, [2], [3]]);
  const five = await quorumHealth([at(0), at(1), at(2), at(3), at(4)]);
  assert.equal(five.healthy, true, 'leader and two followers of five');
  const noLeader = await quorumHealth([at(1), at(2), at(3)]);
  assert.equal(noLeader.healthy, false);
  assert.match(noLeader.message, /no leader/);
});
