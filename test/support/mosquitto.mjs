// Debian's mosquitto, started by tests on 127.0.0.1 and a free port, with a clear failure (not a
// skip) when it is missing. Shared by the interop, password and ACL tests.
import { spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sleep } from './brokers.mjs';

/** The path of a Mosquitto program; a clear failure (not a skip) when it is missing. */
export function toolPath(name) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch { /* not in this directory */ }
  }
  throw new Error(`${name} not found: these tests need Debian's mosquitto and mosquitto-clients (make setup, or apt-get install mosquitto mosquitto-clients)`);
}

/** Resolves when `promise` does or after `ms`, whichever comes first, leaving no timer behind. */
export function within(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]).finally(() => clearTimeout(timer));
}

/** Starts mosquitto on 127.0.0.1 and a free port (or `port`) with `lines` of configuration; waits at most 5 s. */
export async function mosquittoStart(dir, lines, { port: chosen = null } = {}) {
  const port = chosen ?? await freePort();
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(file, [`listener ${port} 127.0.0.1`, ...lines, 'log_dest stderr', ''].join('\n'), { mode: 0o644 });
  const child = spawn(toolPath('mosquitto'), ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let ended = false;
  child.stderr.on('data', (data) => { log += data; });
  child.once('error', (error) => { log += `${error.message}\n`; ended = true; });
  const exited = new Promise((resolve) => child.once('exit', () => { ended = true; resolve(); }));
  for (const deadline = Date.now() + 5000; !log.includes(' running') && !ended && Date.now() < deadline;) await sleep(20);
  if (!log.includes(' running')) {
    child.kill('SIGKILL');
    throw new Error(`mosquitto did not start within 5 s:\n${log}`);
  }
  return {
    port,
    log: () => log,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await within(exited, 3000);
      child.kill('SIGKILL');
    },
  };
}
