/**
 * Topic access control from a Mosquitto `acl_file` (mosquitto.conf(5), acl_file), decided the
 * way Mosquitto 2.0.11 decides it (src/security.c acl__check_dollar and src/security_default.c
 * mosquitto_acl_check_default; checked against a real broker by test/gateway_acl.test.mjs).
 *
 *   parseAcl(text)                                          -> { acl, errors }
 *   aclCheck(acl, { clientId, username }, topic, access)    -> boolean
 *
 * The file: `topic [read|write|readwrite|deny] <topic>` (access defaults to readwrite; the topic
 * is the rest of the line and may hold spaces and `+`/`#` wildcards), `user <username>` (the
 * topic lines after it, up to the next user line, belong to that username; two sections for
 * one name are merged), `pattern [read|write|readwrite|deny] <topic>` (applies to every client,
 * "even if the user keyword has previously been given", with `%c` replaced by the client id and
 * `%u` by the username). Topic lines before the first user line apply to anonymous clients
 * only, a client with a username never gets them. A line whose first character is `#` is a
 * comment. Errors, as Mosquitto's (which refuses the whole file): a line that is none of
 * these, a bad access word, a topic that is not a valid subscription filter, a user line
 * without a name. Stricter than Mosquitto: `topic read` with no topic (Mosquitto grants
 * readwrite on a topic named "read"), and `%c`/`%u` not standing alone in a topic level (the
 * man page: "The substitution pattern must be the only text for that level of hierarchy";
 * Mosquitto substitutes it anywhere).
 *
 * aclCheck(…, 'read' | 'write') for a topic name, in Mosquitto's order:
 *  1. `$` topics: a write to a topic starting with "$SYS" is denied unless it matches
 *     `$SYS/broker/connection/+/state`; a read or write of a topic starting with "$share" is denied.
 *  2. The client's own rules (the anonymous ones, or its user section): if a deny rule matches,
 *     denied; else if a rule granting this access matches, allowed.
 *  3. Otherwise the pattern rules, likewise: deny rules first, then grants. `%u` rules are
 *     skipped for anonymous clients.
 *  4. Otherwise denied: nothing matched (an empty file denies everything).
 * So "deny" wins over grants within a stage (the man page: 'Any "deny" topics are handled
 * before topics that grant read/write access'), but a user's own grant is decided in step 2 and
 * beats a pattern deny (seen on 2.0.11). Matching follows MQTT: `+` is one level, `#` the rest
 * (parent included), and a filter whose first level is a wildcard never matches a `$` topic.
 *
 * Substitution cannot widen access. Step 3 denies outright (the pattern rules are not consulted)
 * a client whose client id or username holds `+`, `#` or `/`, or starts with `$`, or whose
 * client id is empty. Mosquitto denies `+` and `#` the same way (CVE-2017-7650: a client id
 * "#" would turn `pattern read devices/%c/#` into `devices/#/#`); wrenmq adds `/` because
 * a client id "a/b" turns `devices/%c/#` into `devices/a/b/#`, a corner of client a's own tree,
 * which 2.0.11 grants (seen), and `$` because `%c/#` for a client "$SYS" would reach the `$SYS`
 * tree that no wildcard reaches. Denying the whole stage (instead of skipping only the rules
 * that substitute) also keeps substituted deny rules from silently disappearing.
 *
 * aclCheck(…, 'subscribe') for a subscription filter. Mosquitto 2.0.11 grants every SUBSCRIBE
 * when an acl_file is used (its code: "FIXME - implement ACL subscription strings") and checks
 * 'read' for each message it delivers, retained ones included. wrenmq answers whether the
 * filter could ever deliver a message to this client, by the same steps on filters: a deny rule
 * refuses only when it covers the whole filter, a read grant allows when it shares any topic
 * with it, and `$share/<group>/<filter>` is judged by its filter. Apart from the identities
 * refused above, it never refuses a filter through which Mosquitto would deliver something; the
 * broker must still check 'read' per message. The only visible difference is the SUBACK for a filter that can never deliver
 * anything: refused here (0x80 / 0x87), granted by Mosquitto.
 */

const ACCESS_WORDS = ['read', 'write', 'readwrite', 'deny'];
/** Bridge status topics, the one `$SYS` write Mosquitto lets through to the ACL. */
const SYS_WRITABLE = ['$SYS', 'broker', 'connection', '+', 'state'];

function rulesNew() {
  return { deny: [], grant: [] };
}

/** True for a valid subscription filter (mosquitto_sub_topic_check): wildcards fill whole levels, `#` last. */
function filterValid(levels) {
  return levels.every((level, index) => (!level.includes('+') && !level.includes('#'))
    || level === '+' || (level === '#' && index === levels.length - 1));
}

/**
 * True when every topic matching filter `inner` also matches filter `outer` — for a topic name
 * (no wildcards) as `inner`, simply "outer matches the topic". Bounded by the level count.
 */
function filterCovers(outer, inner) {
  if (inner[0] !== '+' && inner[0] !== '#' && inner[0].startsWith('$') && (outer[0] === '+' || outer[0] === '#')) return false;
  for (let index = 0; ; index++) {
    const o = outer[index];
    const i = inner[index];
    if (o === '#') return true;
    if (i === undefined) return o === undefined;
    if (i === '#' || o === undefined) return false;
    if (o === '+') continue;
    if (i === '+' || o !== i) return false;
  }
}

/** True when some topic matches both filters. Bounded by the level count. */
function filtersIntersect(a, b) {
  const wild = (level) => level === '+' || level === '#';
  if ((!wild(a[0]) && a[0].startsWith('$') && wild(b[0])) || (!wild(b[0]) && b[0].startsWith('$') && wild(a[0]))) return false;
  for (let index = 0; ; index++) {
    const x = a[index];
    const y = b[index];
    if (x === '#' || y === '#') return true;
    if (x === undefined || y === undefined) return x === y;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
}

/** Reads an acl_file; every refused line is an error, never an exception. */
export function parseAcl(text) {
  const acl = { anonymous: rulesNew(), users: new Map(), patterns: rulesNew() };
  const errors = [];
  let section = acl.anonymous;
  const lines = String(text).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const source = lines[index].replace(/\s+$/, '');
    const fail = (message) => errors.push({ line, message: `${message} (line ${line})` });
    if (source === '' || source.startsWith('#')) continue;
    const words = source.split(' ').filter((word) => word !== '');
    if (words.length === 0) continue;
    const keyword = words[0];
    const rest = source.slice(source.indexOf(keyword) + keyword.length).trim();
    if (keyword === 'user') {
      if (rest === '') { fail("missing username after 'user'"); continue; }
      if (!acl.users.has(rest)) acl.users.set(rest, rulesNew());
      section = acl.users.get(rest);
    } else if (keyword === 'topic' || keyword === 'pattern') {
      if (rest === '') { fail(`missing topic after '${keyword}'`); continue; }
      const first = words[1];
      const after = rest.slice(first.length).trim();
      // Mosquitto: with one word it is the topic and access is readwrite; with more, the first is the access.
      const access = after === '' ? 'readwrite' : first;
      const filter = after === '' ? first : after;
      if (after === '' && ACCESS_WORDS.includes(first)) {
        fail(`'${keyword} ${first}' names no topic (mosquitto would grant readwrite on the topic '${first}')`);
        continue;
      }
      if (!ACCESS_WORDS.includes(access)) {
        fail(`invalid access '${access}': expected read, write, readwrite or deny (a topic with spaces needs the access word)`);
        continue;
      }
      const levels = filter.split('/');
      if (!filterValid(levels)) { fail(`invalid topic filter '${filter}'`); continue; }
      if (keyword === 'pattern' && levels.some((level) => /%[cu]/.test(level) && level !== '%c' && level !== '%u')) {
        fail(`'%c' or '%u' must be a whole topic level in '${filter}' (mosquitto.conf(5): "the only text for that level")`);
        continue;
      }
      const rule = { access, filter, levels, line, usesUsername: levels.includes('%u') };
      (keyword === 'topic' ? section : acl.patterns)[access === 'deny' ? 'deny' : 'grant'].push(rule);
    } else if (keyword.startsWith('#')) {
      fail("invalid line: a comment's '#' must be the first character of its line");
    } else if (keyword.includes('\t')) {
      fail('invalid line: acl_file words are separated by spaces, not tabs');
    } else {
      fail(`invalid line: '${keyword}' is not topic, pattern or user`);
    }
  }
  return { acl, errors };
}

/** A stage's verdict: 'deny', 'allow', or null (no rule decided). `levelsOf` substitutes patterns. */
function stageDecide(rules, target, access, levelsOf) {
  for (const rule of rules.deny) {
    const levels = levelsOf(rule);
    if (levels === null) continue;
    // For a subscription, a deny rule decides only when it covers the whole filter.
    if (filterCovers(levels, target)) return 'deny';
  }
  for (const rule of rules.grant) {
    const levels = levelsOf(rule);
    if (levels === null) continue;
    if (access === 'subscribe') {
      if (rule.access !== 'write' && filtersIntersect(levels, target)) return 'allow';
    } else if ((rule.access === 'readwrite' || rule.access === access) && filterCovers(levels, target)) {
      return 'allow';
    }
  }
  return null;
}

/** True when an identity may not be substituted into a pattern (see the header). */
function substitutionUnsafe(value) {
  return /[+#/]/.test(value) || value.startsWith('$');
}

/**
 * May this client read or write `topic`, or subscribe to the filter `topic`?
 * `username` null or undefined means an anonymous client.
 */
export function aclCheck(acl, { clientId, username } = {}, topic, access) {
  if (access !== 'read' && access !== 'write' && access !== 'subscribe') {
    throw new TypeError(`aclCheck: access must be 'read', 'write' or 'subscribe', not '${access}'`);
  }
  if (typeof topic !== 'string' || topic === '') return false;
  let target = topic.split('/');
  if (access === 'subscribe') {
    if (target[0] === '$share') {
      if (target.length < 3 || target[1] === '' || /[+#]/.test(target[1])) return false;
      target = target.slice(2);
    }
    if (target.join('/') === '' || !filterValid(target)) return false;
  } else {
    if (topic.includes('+') || topic.includes('#')) return false;
    if (access === 'write' && topic.startsWith('$SYS') && !filterCovers(SYS_WRITABLE, target)) return false;
    if (topic.startsWith('$share')) return false;
  }

  const anonymous = username === undefined || username === null;
  const own = anonymous ? acl.anonymous : acl.users.get(username);
  if (own) {
    const verdict = stageDecide(own, target, access, (rule) => rule.levels);
    if (verdict !== null) return verdict === 'allow';
  }

  const patterns = acl.patterns;
  if (patterns.deny.length === 0 && patterns.grant.length === 0) return false;
  if (typeof clientId !== 'string' || clientId === '' || substitutionUnsafe(clientId)) return false;
  if (!anonymous && substitutionUnsafe(username)) return false;
  const substitute = (rule) => {
    if (rule.usesUsername && anonymous) return null;
    return rule.levels.map((level) => (level === '%c' ? clientId : level === '%u' ? username : level));
  };
  return stageDecide(patterns, target, access, substitute) === 'allow';
}
