import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTokenFile, StaticTokens, TokenFileError } from './token-file.ts';

test('parses Kubernetes token files: token,user,uid and optional quoted groups', () => {
  const users = parseTokenFile([
    'tok-alice,alice,1001,"devs,qa"',
    '',
    'tok-bob, bob, 1002',
    '"tok,carol",carol,1003,ops',
    'tok-dan,"dan ""the man""",1004,',
  ].join('\n'), 'tokens.csv');
  assert.deepEqual(users.get('tok-alice'), { username: 'alice', uid: '1001', groups: ['devs', 'qa'] });
  assert.deepEqual(users.get('tok-bob'), { username: 'bob', uid: '1002', groups: [] });
  assert.deepEqual(users.get('tok,carol'), { username: 'carol', uid: '1003', groups: ['ops'] });
  assert.deepEqual(users.get('tok-dan'), { username: 'dan "the man"', uid: '1004', groups: [] });
  assert.equal(users.size, 4);
});

test('bad lines are refused with the file, the line and what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['ok,a,1\ntok-only,user', /^token file t\.csv line 2: needs at least 3 columns \(token, user name, user uid\), found 2$/],
    [',alice,1', /line 1: the token is empty/],
    ['t,,1', /line 1: the user name is empty/],
    ['t,a,1\nt,b,2', /line 2: the same token is already given to user "a"/],
    ['t,"alice,1', /line 1: a quoted field is not closed/],
    ['t,al"ice,1', /line 1: a quote inside an unquoted field/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseTokenFile(text, 't.csv'), (err: Error) => err instanceof TokenFileError && message.test(err.message));
});

test('a known token authenticates its user; an unknown one is not this authenticator\'s', () => {
  const tokens = new StaticTokens(parseTokenFile('secret,alice,1,devs', 'f'));
  assert.deepEqual(tokens.authenticateToken('secret'), { user: { username: 'alice', uid: '1', groups: ['devs'] } });
  assert.equal(tokens.authenticateToken('other'), undefined);
});

test('an unreadable file is a TokenFileError naming it', async () => {
  await assert.rejects(StaticTokens.load('/nonexistent/tokens.csv'), (err: Error) => err instanceof TokenFileError && /cannot read token file \/nonexistent\/tokens\.csv/.test(err.message));
});
