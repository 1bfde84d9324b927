// Goal: aclCheck decides read/write as Mosquitto 2.0.11 does with the same acl_file (stricter on '/' and '$' in ids), and subscribe never over-refuses.
// Method: tables of (client, topic, access) -> expected, run through aclCheck and, for read/write, through a real mosquitto observed with mosquitto_sub.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, sleep, start } from './support/brokers.mjs';
import { aclCheck, parseAcl } from '../tools/gateway/acl.mjs';
import { hashPassword } from '../tools/gateway/passwords.mjs';
import { mosquittoStart, toolPath, within } from './support/mosquitto.mjs';

const ACL_TEXT = `# Topic lines before the first user line: anonymous clients only.
topic read public/#
topic deny public/secret
user admin
topic readwrite #
topic readwrite $SYS/#
user alice
topic read secret/#
topic readwrite alice/#
topic deny alice/private/#
topic write $SYS/#
topic read $SYS/broker/connection/#
user bob
topic write public/#
user eve
topic read #
pattern read devices/%c/#
pattern write devices/%c/state
pattern deny secret/%u/#
pattern readwrite users/%u/#
pattern read shared/#
pattern deny shared/%u/#
user alice
topic read more/#
`;
const { acl, errors: aclErrors } = parseAcl(ACL_TEXT);

/** Clients: client id, username (null: anonymous), password. */
const CLIENTS = {
  anon: { clientId: 'anon-1', username: null },
  admin: { clientId: 'admin-1', username: 'admin' },
  alice: { clientId: 'alice-1', username: 'alice' },
  bob: { clientId: 'bob-1', username: 'bob' },
  carol: { clientId: 'carol-1', username: 'carol' }, // in the password file, no user section
  eve: { clientId: 'eve-1', username: 'eve' },
  dev: { clientId: 'd1', username: 'dev' },
  slash: { clientId: 'd1/x', username: 'dev' },
  plus: { clientId: 'd+1', username: 'dev' },
};

// [client, topic, expected, why]; `differs` marks wrenmq's deliberate difference from Mosquitto.
const READS = [
  ['anon', 'public/news', true, 'anonymous topic rule'],
  ['anon', 'public/secret', false, 'deny beats the broader grant'],
  ['anon', 'other/x', false, 'nothing matches'],
  ['anon', '$SYS/broker/connection/t/state', false, 'no $SYS rule'],
  ['alice', 'public/news', false, 'anonymous rules are not for users'],
  ['alice', 'secret/alice/x', true, "the user's own grant beats a pattern deny"],
  ['alice', 'alice/private/a', false, 'user deny beats user grant'],
  ['alice', 'alice/notes', true, 'user readwrite'],
  ['alice', 'more/x', true, 'a second user alice section is merged'],
  ['alice', '$SYS/broker/connection/t/state', true, 'a $SYS rule reaches $SYS'],
  ['eve', 'anything/else', true, '#'],
  ['eve', '$SYS/broker/connection/t/state', false, '# does not reach $SYS'],
  ['bob', 'public/news', false, 'bob may only write there'],
  ['bob', 'users/bob/inbox', true, '%u pattern'],
  ['bob', 'users/alice/inbox', false, '%u is bob'],
  ['carol', 'shared/news', true, 'pattern without substitution'],
  ['carol', 'shared/carol/x', false, 'pattern deny beats pattern grant'],
  ['carol', 'devices/carol-1/cmd', true, '%c pattern'],
  ['dev', 'devices/d1/cmd', true, '%c pattern'],
  ['dev', 'devices/d2/cmd', false, '%c is d1'],
  ['plus', 'shared/news', false, "'+' in the client id: the pattern stage denies"],
  ['slash', 'devices/d1/x/cmd', false, "'/' in the client id: mosquitto grants a corner of d1's tree", 'differs'],
];
const WRITES = [
  ['anon', 'public/news', false, 'read only'],
  ['bob', 'public/news', true, 'user write'],
  ['bob', 'public/secret', true, "the anonymous deny is not bob's"],
  ['alice', 'alice/notes', true, 'user readwrite'],
  ['alice', 'alice/private/x', false, 'user deny'],
  ['alice', 'secret/x', false, 'read only'],
  ['alice', '$SYS/foo', false, '$SYS writes are refused whatever the ACL says'],
  ['admin', '$SYS/broker/connection/t/state', true, 'bridge state topics are the exception'],
  ['dev', 'devices/d1/state', true, '%c write pattern'],
  ['dev', 'devices/d1/cmd', false, 'read only'],
  ['dev', 'devices/d2/state', false, '%c is d1'],
  ['carol', 'users/carol/out', true, '%u readwrite'],
  ['carol', 'users/bob/out', false, '%u is carol'],
  ['eve', 'x', false, 'read only'],
  ['plus', 'users/dev/out', false, "'+' in the client id: the pattern stage denies, %u too"],
  ['slash', 'devices/d1/x/state', false, "'/' in the client id", 'differs'],
];

test('the acl_file parses: sections, merged users, denies apart', () => {
  assert.deepEqual(aclErrors, []);
  const filters = (rules) => [rules.deny.map((rule) => rule.filter), rules.grant.map((rule) => rule.filter)];
  assert.deepEqual(filters(acl.anonymous), [['public/secret'], ['public/#']]);
  assert.deepEqual([...acl.users.keys()], ['admin', 'alice', 'bob', 'eve']);
  assert.deepEqual(filters(acl.users.get('alice')), [['alice/private/#'], ['secret/#', 'alice/#', '$SYS/#', '$SYS/broker/connection/#', 'more/#']]);
  assert.deepEqual(filters(acl.patterns), [['secret/%u/#', 'shared/%u/#'], ['devices/%c/#', 'devices/%c/state', 'users/%u/#', 'shared/#']]);
  assert.equal(acl.users.get('alice').grant[4].line, 24);
  assert.deepEqual(parseAcl('topic my topic with spaces').errors.map((error) => error.message),
    ["invalid access 'my': expected read, write, readwrite or deny (a topic with spaces needs the access word) (line 1)"]);
  assert.equal(parseAcl('topic read my topic').acl.anonymous.grant[0].filter, 'my topic');
  assert.equal(parseAcl('topic lone').acl.anonymous.grant[0].access, 'readwrite');
  assert.equal(parseAcl('user  some one  \r\ntopic a').acl.users.get('some one').grant[0].filter, 'a');
});

test('every refused line, with its line number', () => {
  const { errors } = parseAcl([
    '# fine', '', 'topic', 'topic read', 'topic deny', 'topic readonly a/b', 'topic read a/b#', 'topic read a/#/b',
    'pattern read a/+x', 'pattern read devices/x%c/#', 'pattern read %u%c', 'user', 'user   ', '  # indented',
    'topic\tread\ta', 'allow x', 'topic read +/%c/#',
  ].join('\n'));
  assert.deepEqual(errors.map(({ line, message }) => [line, message]), [
    [3, "missing topic after 'topic' (line 3)"],
    [4, "'topic read' names no topic (mosquitto would grant readwrite on the topic 'read') (line 4)"],
    [5, "'topic deny' names no topic (mosquitto would grant readwrite on the topic 'deny') (line 5)"],
    [6, "invalid access 'readonly': expected read, write, readwrite or deny (a topic with spaces needs the access word) (line 6)"],
    [7, "invalid topic filter 'a/b#' (line 7)"],
    [8, "invalid topic filter 'a/#/b' (line 8)"],
    [9, "invalid topic filter 'a/+x' (line 9)"],
    [10, `'%c' or '%u' must be a whole topic level in 'devices/x%c/#' (mosquitto.conf(5): "the only text for that level") (line 10)`],
    [11, `'%c' or '%u' must be a whole topic level in '%u%c' (mosquitto.conf(5): "the only text for that level") (line 11)`],
    [12, "missing username after 'user' (line 12)"],
    [13, "missing username after 'user' (line 13)"],
    [14, "invalid line: a comment's '#' must be the first character of its line (line 14)"],
    [15, 'invalid line: acl_file words are separated by spaces, not tabs (line 15)'],
    [16, "invalid line: 'allow' is not topic, pattern or user (line 16)"],
  ]);
  assert.deepEqual(parseAcl('topic read +/%c/#').errors, [], 'in a topic line %c is literal text');
});

test('read and write, decided as in the tables', () => {
  const wrong = [];
  for (const [access, table] of [['read', READS], ['write', WRITES]]) {
    for (const [client, topic, expected, why] of table) {
      if (aclCheck(acl, CLIENTS[client], topic, access) !== expected) wrong.push(`${client} ${access} ${topic}: expected ${expected} (${why})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('edge cases: identities that must not widen access, $ topics, bad input', () => {
  const check = (client, topic, access) => aclCheck(acl, client, topic, access);
  assert.equal(check({ clientId: '#', username: 'dev' }, 'devices/#/x', 'read'), false);
  assert.equal(check({ clientId: 'd1', username: 'ev+il' }, 'devices/d1/x', 'read'), false, 'a dangerous username denies the stage');
  assert.equal(check({ clientId: '$SYS', username: 'dev' }, 'devices/$SYS/x', 'read'), false);
  assert.equal(check({ clientId: '', username: 'dev' }, 'shared/news', 'read'), false, 'an empty client id');
  assert.equal(check({ username: 'dev' }, 'shared/news', 'read'), false, 'no client id');
  assert.equal(check({ clientId: 'c', username: null }, 'users/null/x', 'read'), false, '%u rules skip anonymous clients');
  assert.equal(check({ clientId: 'c', username: null }, 'shared/news', 'read'), true, 'other patterns still apply');
  assert.equal(check({ clientId: 'c', username: 'alice' }, 'alice/a+b', 'write'), false, 'wildcards in a topic name');
  assert.equal(check(CLIENTS.admin, '', 'read'), false);
  assert.equal(check(CLIENTS.admin, '$share/g/x', 'write'), false, '$share is for subscriptions only');
  assert.equal(check(CLIENTS.admin, '$SYSTEM/x', 'write'), false, "mosquitto's $SYS test is a prefix test");
  assert.throws(() => check(CLIENTS.admin, 'x', 'readwrite'), /access must be/);
  const empty = parseAcl('# nothing\n').acl;
  assert.equal(aclCheck(empty, CLIENTS.admin, 'x', 'read'), false, 'an empty acl_file denies everything');
});

test('subscribe: refused only when the filter could never deliver anything', () => {
  const cases = [
    ['anon', 'public/#', true], ['anon', 'public/secret', false], ['anon', '#', true], ['anon', 'other/#', false],
    ['alice', 'alice/private/#', false], ['alice', 'alice/private/+/x', false], ['alice', 'alice/#', true],
    ['alice', '+/private/x', true], ['alice', '$SYS/#', true], ['eve', '$SYS/#', false], ['eve', '+/x', true],
    ['bob', 'public/#', false], ['bob', 'users/bob/#', true], ['bob', 'users/+/inbox', true], ['bob', 'users/alice/#', false],
    ['carol', 'shared/carol/#', false], ['carol', 'shared/+', true], ['carol', 'secret/carol/#', false],
    ['dev', 'devices/d1/#', true], ['dev', 'devices/d2/#', false], ['dev', '$share/group/devices/d1/#', true],
    ['dev', '$share/group/devices/d2/#', false], ['plus', '#', false],
  ];
  const wrong = cases.filter(([client, filter, expected]) => aclCheck(acl, CLIENTS[client], filter, 'subscribe') !== expected);
  assert.deepEqual(wrong, []);
  for (const invalid of ['$share//devices/d1/#', '$share/group', '$share/g+/x', 'public/#/x', 'public/+x', '']) {
    assert.equal(aclCheck(acl, CLIENTS.admin, invalid, 'subscribe'), false, invalid);
  }
  // Sound against 'read': a refused filter matches no readable topic of the read table.
  const matches = (filter, topic) => {
    const f = filter.replace(/^\$share\/[^/]+\//, '').split('/');
    const t = topic.split('/');
    if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
    for (let i = 0; i < f.length; i++) {
      if (f[i] === '#') return true;
      if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
    }
    return f.length === t.length;
  };
  for (const [client, filter] of cases.filter(([client, filter]) => !aclCheck(acl, CLIENTS[client], filter, 'subscribe'))) {
    for (const [, topic] of READS.filter(([, topic]) => matches(filter, topic))) {
      assert.equal(aclCheck(acl, CLIENTS[client], topic, 'read'), false, `${client} ${filter} ${topic}`);
    }
  }
});


/** Waits at most `timeoutMs` for `predicate()`, then fails naming `what`. */
async function waitFor(predicate, what, timeoutMs = 5000) {
  for (const deadline = Date.now() + timeoutMs; !predicate();) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wrenmq-acl-'));
  chmodSync(dir, 0o755); // mosquitto started as root reads its files as the user "mosquitto"
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a real mosquitto with the same acl_file delivers exactly what aclCheck allows', async () => {
  const mosquittoSub = toolPath('mosquitto_sub');
  const mosquittoPub = toolPath('mosquitto_pub');
  const users = Object.values(CLIENTS).map((client) => client.username).filter((name, i, all) => name && all.indexOf(name) === i);
  writeFileSync(join(dir, 'passwords'), users.map((name) => `${name}:${hashPassword(`pw-${name}`, { iterations: 1 })}\n`).join(''), { mode: 0o644 });
  writeFileSync(join(dir, 'acl'), ACL_TEXT, { mode: 0o644 });
  const broker = await mosquittoStart(dir, ['allow_anonymous true', `password_file ${join(dir, 'passwords')}`, `acl_file ${join(dir, 'acl')}`]);
  const connect = (client) => ['-h', '127.0.0.1', '-p', String(broker.port), '-i', client.clientId,
    ...(client.username ? ['-u', client.username, '-P', `pw-${client.username}`] : [])];
  // stdbuf: mosquitto_sub's stdout is block-buffered into a pipe, and we read it as it comes.
  const subscribe = (client) => start(toolPath('stdbuf'), ['-oL', mosquittoSub, ...connect(client), '-t', '#', '-t', '$SYS/#', '-v', '-d'], { timeoutMs: 15000 });
  const publish = async (client, topic, payload) => {
    const result = await run(mosquittoPub, [...connect(client), '-t', topic, '-m', payload, '-q', '1'], { timeoutMs: 5000 });
    assert.equal(result.code, 0, `mosquitto_pub as ${client.clientId} to ${topic}: ${result.stderr}`);
  };
  /** Payloads a subscriber printed, as "topic payload" lines. */
  const received = (subscriber) => new Set(subscriber.output().split('\n').filter((line) => /^\S+ [rw]\d+$/.test(line)));
  const subscribers = [];
  try {
    // Writes: each client publishes its cases (one connection at a time per client id); the
    // observer sees what mosquitto accepted. The sync message comes after every PUBACK, so
    // everything accepted has been queued to the observer before it.
    const observer = subscribe({ clientId: 'observer', username: 'admin' });
    subscribers.push(observer);
    await waitFor(() => observer.output().includes('received SUBACK'), 'the observer to subscribe');
    await Promise.all([...new Set(WRITES.map((row) => row[0]))].map(async (client) => {
      for (const [index, row] of WRITES.entries()) if (row[0] === client) await publish(CLIENTS[client], row[1], `w${index}`);
    }));
    await publish(CLIENTS.admin, 'sync/writes', 'w999');
    await waitFor(() => received(observer).has('sync/writes w999'), 'the writes to reach the observer');

    // Reads: one subscriber per client to '#' and '$SYS/#' (mosquitto grants both to everyone,
    // and checks read per message); admin publishes every case, then a sync message, which the
    // observer sees after all of them; deliveries to the others leave in the same broker turn.
    const readers = {};
    for (const client of new Set(READS.map((row) => row[0]))) {
      readers[client] = subscribe(CLIENTS[client]);
      subscribers.push(readers[client]);
    }
    await waitFor(() => Object.values(readers).every((reader) => reader.output().includes('received SUBACK')), 'every reader to subscribe');
    for (const reader of Object.values(readers)) assert.match(reader.output(), /Subscribed \(mid: 1\): 0, 0/, 'mosquitto grants every SUBSCRIBE');
    await Promise.all(READS.map(([, topic], index) => publish({ ...CLIENTS.admin, clientId: `admin-r${index}` }, topic, `r${index}`)));
    await publish(CLIENTS.admin, 'sync/reads', 'w998');
    await waitFor(() => received(observer).has('sync/reads w998'), 'the reads to reach the observer');
    // Bounded wait for the deliveries the table expects (a miss shows in the table below), then
    // a little longer for any it does not expect.
    const delivered = (row, index) => received(readers[row[0]]).has(`${row[1]} r${index}`);
    await waitFor(() => READS.every((row, index) => (row[4] ? row[2] : !row[2]) || delivered(row, index)), 'expected deliveries', 3000).catch(() => {});
    await sleep(200);

    const observed = received(observer);
    const disagreements = [];
    for (const [access, table, seen] of [['write', WRITES, (i) => observed.has(`${WRITES[i][1]} w${i}`)],
      ['read', READS, (i) => delivered(READS[i], i)]]) {
      table.forEach(([client, topic, expected, why, differs], index) => {
        const ours = aclCheck(acl, CLIENTS[client], topic, access);
        const mosquitto = seen(index);
        if (ours !== expected || mosquitto !== (differs ? !expected : expected)) {
          disagreements.push({ client, access, topic, expected, ours, mosquitto, why });
        }
      });
    }
    assert.deepEqual(disagreements, []);
    assert.match(broker.log(), /ACL denying access to client with dangerous client id "d\+1"/);
  } finally {
    for (const subscriber of subscribers) subscriber.child.kill('SIGTERM');
    await Promise.all(subscribers.map((subscriber) => within(subscriber.done, 2000)));
    await broker.stop();
  }
});
