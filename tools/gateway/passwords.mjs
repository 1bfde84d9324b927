/**
 * Mosquitto password files, read as they are: `password_file` in mosquitto.conf(5), written by
 * mosquitto_passwd(1) (Mosquitto 2.0.11; behaviour checked against src/security_default.c and
 * src/password_mosq.c of that release, and by experiment with the real tools).
 *
 *   parsePasswordFile(text)          -> { users: Map<username, entry>, errors: [{ line, message }] }
 *   verifyPassword(entry, password)  -> boolean      constant-time comparison of the digests
 *   hashPassword(password, options)  -> "$7$101$<salt>$<hash>", a field mosquitto accepts
 *
 * One line per user, `username:hash`. The username is trimmed of blanks (as Mosquitto does) and
 * cannot contain ':'. Two hash forms exist, both with a 12-byte salt and a 64-byte digest, in
 * base64 (Mosquitto drops an entry whose salt or digest decodes to any other length):
 *   $7$<iterations>$<salt>$<hash>  PBKDF2-HMAC-SHA512, key length 64 (mosquitto_passwd's default,
 *                                  `-H sha512-pbkdf2`, 101 iterations);
 *   $6$<salt>$<hash>               SHA-512 over the password bytes then the salt bytes, one round
 *                                  (`mosquitto_passwd -H sha512`, "for use with Mosquitto 1.6 and
 *                                  earlier"). This is Mosquitto's own scheme, not glibc's
 *                                  sha512-crypt, which shares the `$6$` prefix.
 * A plain-text line (`alice:secret`) is an error: mosquitto.conf(5) allows plain text only when
 * Mosquitto is built without TLS; Debian's build logs "Invalid password hash type for user
 * alice, removing entry" and refuses the user. Where this module differs from Mosquitto it is
 * stricter and says so: a line without ':' (Mosquitto skips it silently) and a user given twice
 * (Mosquitto silently uses the last line, and so do we, but it is also reported) are errors.
 *
 * Passwords are bytes (MQTT binary data). An empty password is refused, as Mosquitto does: it
 * reads a zero-length password as no password, so a user that `mosquitto_passwd -b file user ""`
 * made can never log in (seen with 2.0.11). Mosquitto treats passwords as C strings, ignoring
 * everything from the first zero byte on; a stored hash never comes from a password holding a
 * zero byte (mosquitto_passwd reads C strings), so verifyPassword refuses such a password
 * instead of truncating it.
 *
 * Why hashing lives in the host, not in the WASM/Espruino core: PBKDF2 with 101 or more
 * iterations of HMAC-SHA-512 is 200 to 400 SHA-512 compressions of 64-bit arithmetic, which
 * costs milliseconds per CONNECT in WASM or JS and far more in an interpreter, while every host
 * has it as a native primitive (Node's crypto, Espruino's `crypto` module where the firmware
 * has one). The core only asks "is this username/password valid?" and gets yes or no, so a slow
 * hash never blocks routing. Measured on the 2-core Xeon VM this was written on, Node 20: one
 * $7$ verification at 101 iterations with Node's crypto takes 0.11–0.13 ms, and grows linearly
 * with the iterations (10,000: 8.3 ms per CONNECT, synchronously, on the event loop); one $6$
 * verification about 3 µs. For comparison, a straightforward pure-JS PBKDF2-SHA512 (32-bit
 * halves) took 3.0 ms per 101-iteration verification JIT-compiled and 57 ms under
 * `node --jitless` (V8's interpreter); Espruino interprets far more slowly still.
 */
import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/** mosquitto_passwd's default iteration count (PW_DEFAULT_ITERATIONS in password_mosq.h). */
export const PBKDF2_ITERATIONS_DEFAULT = 101;
/** Salt bytes (SALT_LEN); Mosquitto refuses an entry whose salt decodes to another length. */
export const SALT_SIZE = 12;
/** Digest bytes: SHA-512's output, and PBKDF2's key length; Mosquitto refuses other lengths. */
export const HASH_SIZE = 64;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HASH_PBKDF2 = /^\$7\$([^$]*)\$([^$]*)\$([^$]*)$/;
const HASH_SHA512 = /^\$6\$([^$]*)\$([^$]*)$/;

/** Reads a password file; every refused line is an error, never an exception. */
export function parsePasswordFile(text) {
  const users = new Map();
  const errors = [];
  const firstLine = new Map();
  const lines = String(text).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const source = lines[index];
    if (source.startsWith('#') || source.trim() === '') continue;
    const fail = (message) => { errors.push({ line, message: `${message} (line ${line})` }); return null; };
    const colon = source.indexOf(':');
    if (colon < 0) {
      fail("no ':' between username and password hash");
      continue;
    }
    const username = source.slice(0, colon).trim();
    const field = source.slice(colon + 1).trim();
    if (username === '') {
      fail("empty username before ':'");
      continue;
    }
    const entry = entryParse(username, field, line, fail);
    if (entry === null) continue;
    if (firstLine.has(username)) {
      fail(`user '${username}' given twice (first on line ${firstLine.get(username)}): mosquitto uses the last line`);
    } else {
      firstLine.set(username, line);
    }
    users.set(username, entry);
  }
  return { users, errors };
}

/** One `$7$...` or `$6$...` field as an entry, or null after reporting why not. */
function entryParse(username, field, line, fail) {
  const who = `user '${username}'`;
  if (field === '') return fail(`no password hash for ${who}`);
  if (!field.startsWith('$')) {
    return fail(`plain-text password for ${who}: mosquitto 2.0 refuses it too; hash the file with mosquitto_passwd -U`);
  }
  let iterations = 1;
  let saltText;
  let hashText;
  let match = HASH_PBKDF2.exec(field);
  if (match) {
    if (!/^\d+$/.test(match[1]) || Number(match[1]) < 1 || !Number.isSafeInteger(Number(match[1]))) {
      return fail(`iterations '${match[1]}' for ${who} must be a whole number from 1`);
    }
    [, , saltText, hashText] = match;
    iterations = Number(match[1]);
  } else if ((match = HASH_SHA512.exec(field))) {
    [, saltText, hashText] = match;
  } else {
    const type = /^\$[^$]*\$?/.exec(field)[0];
    return fail(`unsupported password hash '${type}' for ${who}: mosquitto reads $7$ (PBKDF2-SHA512) and $6$ (SHA-512)`);
  }
  const salt = base64Decode(saltText);
  if (salt === null || salt.length !== SALT_SIZE) {
    return fail(`salt of ${who} must be ${SALT_SIZE} bytes in base64, not '${saltText}'`);
  }
  const hash = base64Decode(hashText);
  if (hash === null || hash.length !== HASH_SIZE) {
    return fail(`hash of ${who} must be ${HASH_SIZE} bytes in base64`);
  }
  const hashType = field[1] === '7' ? 'sha512-pbkdf2' : 'sha512';
  return { username, hashType, iterations, salt, hash, line };
}

/** Strict base64 (with padding, as mosquitto_passwd writes it), or null. */
function base64Decode(text) {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/** The digest Mosquitto would compute for `password` under this entry's scheme and salt. */
function digestCompute(entry, password) {
  if (entry.hashType === 'sha512') {
    return createHash('sha512').update(password).update(entry.salt).digest();
  }
  return pbkdf2Sync(password, entry.salt, entry.iterations, entry.hash.length, 'sha512');
}

/** Used when the username is unknown, so that the answer takes as long as for a known one. */
const ENTRY_DUMMY = {
  username: '', hashType: 'sha512-pbkdf2', iterations: PBKDF2_ITERATIONS_DEFAULT,
  salt: Buffer.alloc(SALT_SIZE), hash: Buffer.alloc(HASH_SIZE), line: 0,
};

/**
 * True when `password` (a Buffer/Uint8Array, or a string taken as UTF-8) matches `entry`.
 * `entry` may be undefined (unknown user): a dummy digest is computed and the answer is false.
 * A missing or empty password, or one holding a zero byte (see the header), is refused.
 */
export function verifyPassword(entry, password) {
  let candidate = null;
  if (typeof password === 'string') candidate = Buffer.from(password, 'utf8');
  else if (password instanceof Uint8Array) candidate = Buffer.from(password.buffer, password.byteOffset, password.byteLength);
  const usable = entry !== undefined && entry !== null && candidate !== null && candidate.length > 0 && !candidate.includes(0);
  const target = usable ? entry : ENTRY_DUMMY;
  const digest = digestCompute(target, candidate ?? Buffer.alloc(0));
  return usable && digest.length === target.hash.length && timingSafeEqual(digest, target.hash);
}

/**
 * A `$7$` field for a password file line `${username}:${field}`, as mosquitto_passwd writes it.
 * Options: iterations (default 101), salt (12 bytes; random by default, give one for tests).
 * Throws on a bad argument: this is a tool for people and tests, not a path for peer input.
 */
export function hashPassword(password, { iterations = PBKDF2_ITERATIONS_DEFAULT, salt = randomBytes(SALT_SIZE) } = {}) {
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  if (bytes.includes(0)) throw new RangeError('hashPassword: a password with a zero byte cannot be used with mosquitto');
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError('hashPassword: iterations must be a whole number from 1');
  if (salt.length !== SALT_SIZE) throw new RangeError(`hashPassword: salt must be ${SALT_SIZE} bytes`);
  const hash = pbkdf2Sync(bytes, salt, iterations, HASH_SIZE, 'sha512');
  return `$7$${iterations}$${Buffer.from(salt).toString('base64')}$${hash.toString('base64')}`;
}
