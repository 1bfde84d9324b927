// Goal: verifyPassword accepts exactly the logins Mosquitto 2.0.11 accepts from the same password_file, and our $7$ lines work in Mosquitto.
// Method: files from the real mosquitto_passwd ($7$, $6$) and hashPassword go to a real mosquitto on a free port; each login is tried both ways.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './support/brokers.mjs';
import { hashPassword, parsePasswordFile, verifyPassword } from '../tools/gateway/passwords.mjs';
import { mosquittoStart, toolPath } from './support/mosquitto.mjs';


let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wrenmq-passwords-'));
  chmodSync(dir, 0o755); // mosquitto started as root reads its files as the user "mosquitto"
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs mosquitto_passwd with `args` and returns the file it wrote. */
async function mosquittoPasswd(file, ...args) {
  const result = await run(toolPath('mosquitto_passwd'), [...args], { timeoutMs: 5000 });
  assert.equal(result.code, 0, `mosquitto_passwd ${args.join(' ')}: ${result.stderr}`);
  chmodSync(file, 0o644);
  return readFileSync(file, 'utf8');
}

const HASH_7 = /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/;
const HASH_6 = /^\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/;

test('mosquitto_passwd writes $7$ by default and $6$ with -H sha512; both verify, right and wrong', async () => {
  const file = join(dir, 'made-by-tool');
  await mosquittoPasswd(file, '-c', '-b', file, 'alice', 'correct horse');
  await mosquittoPasswd(file, '-H', 'sha512', '-b', file, 'bob', 'hunter2');
  await mosquittoPasswd(file, '-b', file, 'carol', 'pässwörd ✓');
  const text = await mosquittoPasswd(file, '-H', 'sha512-pbkdf2', '-b', file, 'user name', 'x');
  const { users, errors } = parsePasswordFile(text);
  assert.deepEqual(errors, []);
  assert.deepEqual([...users.keys()], ['alice', 'bob', 'carol', 'user name']);
  assert.match(text.split('\n')[0].slice('alice:'.length), HASH_7);
  assert.match(text.split('\n')[1].slice('bob:'.length), HASH_6);
  assert.deepEqual([...users.values()].map((entry) => [entry.hashType, entry.iterations, entry.line]),
    [['sha512-pbkdf2', 101, 1], ['sha512', 1, 2], ['sha512-pbkdf2', 101, 3], ['sha512-pbkdf2', 101, 4]]);

  const cases = [
    ['alice', 'correct horse', true], ['alice', 'correct horse ', false], ['alice', 'Correct horse', false],
    ['alice', 'correct hors', false], ['bob', 'hunter2', true], ['bob', 'hunter3', false], ['bob', '', false],
    ['carol', 'pässwörd ✓', true], ['carol', 'passwort ✓', false], ['user name', 'x', true], ['user name', 'y', false],
  ];
  for (const [username, password, expected] of cases) {
    assert.equal(verifyPassword(users.get(username), Buffer.from(password)), expected, `${username} / ${password}`);
    assert.equal(verifyPassword(users.get(username), password), expected, `${username} / ${password} as a string`);
  }
});

test('hashPassword writes the very field mosquitto_passwd writes for the same salt', async () => {
  const file = join(dir, 'known');
  const line = (await mosquittoPasswd(file, '-c', '-b', file, 'k', 'known answer')).trim();
  const field = line.slice('k:'.length);
  const salt = Buffer.from(field.split('$')[3], 'base64');
  assert.equal(hashPassword('known answer', { salt }), field);
  assert.equal(hashPassword(Buffer.from('known answer'), { salt, iterations: 101 }), field);
  assert.match(hashPassword('anything'), HASH_7);
  assert.notEqual(hashPassword('same'), hashPassword('same'), 'a fresh random salt each time');
  assert.match(hashPassword('x', { iterations: 5000 }), /^\$7\$5000\$/);
  assert.throws(() => hashPassword('a\0b'), /zero byte/);
  assert.throws(() => hashPassword('x', { iterations: 0 }), /iterations/);
  assert.throws(() => hashPassword('x', { iterations: 1.5 }), /iterations/);
  assert.throws(() => hashPassword('x', { salt: Buffer.alloc(8) }), /salt must be 12 bytes/);
});

test('verifyPassword: unknown users, missing, empty and zero-byte passwords, byte views', () => {
  const field = hashPassword('secret', { salt: Buffer.alloc(12, 1) });
  const entry = parsePasswordFile(`u:${field}\n`).users.get('u');
  assert.equal(verifyPassword(entry, 'secret'), true);
  assert.equal(verifyPassword(undefined, 'secret'), false);
  assert.equal(verifyPassword(null, 'secret'), false);
  assert.equal(verifyPassword(entry, undefined), false);
  assert.equal(verifyPassword(entry, Buffer.alloc(0)), false);
  assert.equal(verifyPassword(entry, Buffer.from('secret\0')), false);
  assert.equal(verifyPassword(entry, Buffer.from('secret\0tail')), false);
  const bytes = Buffer.from('..secret..');
  assert.equal(verifyPassword(entry, new Uint8Array(bytes.buffer, bytes.byteOffset + 2, 6)), true);
  assert.equal(verifyPassword(entry, 12345), false);
});

test('every refused line, with its line number', () => {
  const good = hashPassword('p', { salt: Buffer.alloc(12) });
  const [, , , salt, hash] = good.split('$');
  const text = [
    '# a comment', '', `ok:${good}`, 'no-colon', `:${good}`, 'empty:', 'plain:secret', 'crypt:$5$abc$def',
    'argon:$argon2id$v=19$m=65536', `zero:$7$0$${salt}$${hash}`, `word:$7$ten$${salt}$${hash}`,
    `shortsalt:$7$101$AAAA$${hash}`, `badsalt:$7$101$not*base64!!!!!!$${hash}`, `shorthash:$6$${salt}$AAAA`,
    `nothash:$6$${salt}`, `ok:${good}`, `  spaced  :  ${good}  `, '   ',
  ].join('\n');
  const { users, errors } = parsePasswordFile(text);
  assert.deepEqual(errors.map(({ line, message }) => [line, message]), [
    [4, "no ':' between username and password hash (line 4)"],
    [5, "empty username before ':' (line 5)"],
    [6, "no password hash for user 'empty' (line 6)"],
    [7, "plain-text password for user 'plain': mosquitto 2.0 refuses it too; hash the file with mosquitto_passwd -U (line 7)"],
    [8, "unsupported password hash '$5$' for user 'crypt': mosquitto reads $7$ (PBKDF2-SHA512) and $6$ (SHA-512) (line 8)"],
    [9, "unsupported password hash '$argon2id$' for user 'argon': mosquitto reads $7$ (PBKDF2-SHA512) and $6$ (SHA-512) (line 9)"],
    [10, "iterations '0' for user 'zero' must be a whole number from 1 (line 10)"],
    [11, "iterations 'ten' for user 'word' must be a whole number from 1 (line 11)"],
    [12, "salt of user 'shortsalt' must be 12 bytes in base64, not 'AAAA' (line 12)"],
    [13, "salt of user 'badsalt' must be 12 bytes in base64, not 'not*base64!!!!!!' (line 13)"],
    [14, "hash of user 'shorthash' must be 64 bytes in base64 (line 14)"],
    [15, "unsupported password hash '$6$' for user 'nothash': mosquitto reads $7$ (PBKDF2-SHA512) and $6$ (SHA-512) (line 15)"],
    [16, "user 'ok' given twice (first on line 3): mosquitto uses the last line (line 16)"],
  ]);
  assert.deepEqual([...users.keys()], ['ok', 'spaced']);
  assert.equal(users.get('ok').line, 16);
  assert.equal(verifyPassword(users.get('spaced'), 'p'), true);
  assert.deepEqual(parsePasswordFile('').errors, []);
  assert.deepEqual(parsePasswordFile('a:b\r\n').errors.map((e) => e.line), [1]);
});

test('a real mosquitto accepts our $7$ lines and agrees with verifyPassword on every login', async () => {
  const file = join(dir, 'passwords');
  await mosquittoPasswd(file, '-c', '-b', file, 'tool7', 'from the tool');
  await mosquittoPasswd(file, '-H', 'sha512', '-b', file, 'tool6', 'old style');
  await mosquittoPasswd(file, '-b', file, 'empty', '');
  const ours = [
    `ours:${hashPassword('correct horse battery staple')}`,
    `ours1000:${hashPassword('pässwörd ✓', { iterations: 1000 })}`,
    `ours1:${hashPassword('one round', { iterations: 1 })}`,
    'plain:secret',
    `dup:${hashPassword('first')}`,
    `dup:${hashPassword('second')}`,
  ];
  writeFileSync(file, `${readFileSync(file, 'utf8')}${ours.join('\n')}\n`, { mode: 0o644 });
  const { users, errors } = parsePasswordFile(readFileSync(file, 'utf8'));
  assert.deepEqual(errors.map((error) => error.line), [7, 9], 'the plain-text line and the second dup');

  const logins = [
    ['ours', 'correct horse battery staple', true], ['ours', 'correct horse battery', false],
    ['ours1000', 'pässwörd ✓', true], ['ours1000', 'passwörd ✓', false], ['ours1', 'one round', true],
    ['tool7', 'from the tool', true], ['tool7', 'from the tool!', false],
    ['tool6', 'old style', true], ['tool6', 'new style', false],
    ['empty', '', false], // mosquitto reads a zero-length password as none, so this user can never log in
    ['plain', 'secret', false], // refused by both: plain text is not a hash
    ['dup', 'second', true], ['dup', 'first', false], // the last line wins in mosquitto
    ['nobody', 'x', false], [null, null, false], // anonymous: allow_anonymous false
  ];
  const broker = await mosquittoStart(dir, ['allow_anonymous false', `password_file ${file}`]);
  try {
    const results = await Promise.all(logins.map(async ([username, password]) => {
      const identity = username === null ? [] : ['-u', username, '-P', password];
      const publish = await run(toolPath('mosquitto_pub'), ['-h', '127.0.0.1', '-p', String(broker.port),
        ...identity, '-t', 'login/check', '-m', 'x'], { timeoutMs: 5000 });
      return publish.code === 0;
    }));
    const table = logins.map(([username, password, expected], index) => ({
      username, password, expected, mosquitto: results[index],
      ours: username === null ? false : verifyPassword(users.get(username), Buffer.from(password)),
    }));
    const disagreements = table.filter((row) => row.mosquitto !== row.expected || row.ours !== row.expected);
    assert.deepEqual(disagreements, [], `mosquitto log:\n${broker.log()}`);
    assert.match(broker.log(), /Invalid password hash type for user plain/);
  } finally {
    await broker.stop();
  }
});
