// `wrenmq pub`: publishes one message (-m, -f, -n, -s) or one per line of stdin (-l), waits for
// each QoS 1/2 acknowledgement (QoS 0: for the bytes to reach the socket), disconnects cleanly,
// and exits 0 only if the server took every message.
//
// A single message is queued in the client before it connects, so a message the client refuses
// (too large, say) fails before any packet is sent. Lines are read as they come, at most
// PUBLISH_PENDING_MAX unacknowledged at once: stdin waits rather than the client's outbox
// overflowing (and when large lines fill its store first, the next waits for one to finish).
import { readFileSync } from "node:fs";
import { DROP_NAMES } from "../client/host.mjs";
import { CliExit, EXIT_ERROR, EXIT_OK, Session } from "./session.mjs";

/** Messages published and not yet acknowledged before -l stops reading stdin. */
const PUBLISH_PENDING_MAX = 64;
/** The core's "outbox or store full" refusal (firmware/core/errors.ts ERR_QUEUE_FULL). */
const ERR_QUEUE_FULL = -43;
const NEWLINE = 0x0a;

/** Runs `wrenmq pub` with a parsed config; resolves with the exit code or throws a CliExit. */
export async function pub(config, { stdin = process.stdin } = {}) {
  const session = new Session(config);
  const publisher = new Publisher(session, config);
  try {
    if (config.messageSource !== "lines") await publisher.publish(await payloadRead(config, stdin, publisher.messageBytesMax));
    await session.connect();
    if (config.messageSource === "lines") await linesPublish(stdin, publisher, session);
    return await publisher.finished();
  } finally {
    await session.close();
  }
}

/** Publishes messages and keeps the outcome of each: the first refusal's code is the exit code. */
class Publisher {
  constructor(session, config) {
    this.session = session;
    this.config = config;
    this.pending = new Set();
    this.sent = 0;
    this.exitCode = EXIT_OK;
    this.lost = null;
    /** No message is longer than the client's staging window (host.mjs publish). */
    this.messageBytesMax = session.client.core.stage.length;
  }

  /** Queues `payload`; waits first while PUBLISH_PENDING_MAX messages are unacknowledged. */
  async publish(payload) {
    const { client } = this.session;
    const { topics, qos, retain } = this.config;
    while (this.pending.size >= PUBLISH_PENDING_MAX) await Promise.race(this.pending);
    if (this.lost) throw this.lost;
    let handle = 0;
    // Bounded: each turn waits for one pending message to finish, and there are at most PUBLISH_PENDING_MAX.
    while (handle === 0) {
      try {
        handle = client.publish(topics[0], payload, { qos, retain });
      } catch (error) {
        if (error.code !== ERR_QUEUE_FULL || this.pending.size === 0) throw new CliExit(EXIT_ERROR, `Error: ${error.message} (message of ${payload.length} bytes).`);
        await Promise.race(this.pending);
        if (this.lost) throw this.lost;
      }
    }
    const number = ++this.sent;
    const done = this.session.settled(handle).then((result) => {
      this.pending.delete(done);
      this.outcome(number, result);
    });
    this.pending.add(done);
  }

  outcome(number, { status, reason }) {
    const where = `message ${number} on '${this.config.topics[0]}'`;
    if (status === "done") return;
    if (status === "lost") {
      this.lost ??= new CliExit(EXIT_ERROR, `${this.session.over.message} before ${where} was acknowledged.`);
      return;
    }
    if (status === "failed") {
      const { code, text } = this.session.refusalOf(reason);
      process.stderr.write(`Error: the server refused ${where}: ${text}.\n`);
      if (this.exitCode === EXIT_OK) this.exitCode = code;
      return;
    }
    process.stderr.write(`Error: ${where} was not sent: ${status} (${DROP_NAMES[reason] ?? `cause ${reason}`}).\n`);
    if (this.exitCode === EXIT_OK) this.exitCode = EXIT_ERROR;
  }

  /** Resolves with the exit code once every message has finished; throws if the connection was lost. */
  async finished() {
    await Promise.all(this.pending);
    if (this.lost) throw this.lost;
    if (this.exitCode !== EXIT_OK) throw new CliExit(this.exitCode);
    return EXIT_OK;
  }
}

/** The payload of -m, -f, -n or -s; at most `bytesMax` bytes are read. */
async function payloadRead(config, stdin, bytesMax) {
  const { messageSource } = config;
  if (messageSource === "message") return Buffer.from(config.message);
  if (messageSource === "null") return new Uint8Array(0);
  if (messageSource === "file") {
    try {
      return readFileSync(config.file);
    } catch (error) {
      throw new CliExit(EXIT_ERROR, `Error: Unable to open file '${config.file}': ${error.message}`);
    }
  }
  const chunks = [];
  let length = 0;
  for await (const chunk of stdin) {
    length += chunk.length;
    if (length > bytesMax) throw new CliExit(EXIT_ERROR, `Error: stdin holds more than the largest message the client sends (${bytesMax} bytes).`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/**
 * -l: each line of stdin (without its "\n"; a "\r" stays, as mosquitto_pub) is one message, an
 * empty line an empty message; a last line without "\n" is sent too. Stops if the connection ends.
 */
async function linesPublish(stdin, publisher, session) {
  session.ended.then(() => stdin.destroy());
  let rest = Buffer.alloc(0);
  try {
    for await (const chunk of stdin) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      // Bounded by the chunk: each turn takes one line off `data`.
      for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE)) {
        await publisher.publish(Buffer.from(data.subarray(0, end)));
        data = data.subarray(end + 1);
      }
      if (data.length > publisher.messageBytesMax) throw new CliExit(EXIT_ERROR, `Error: a line of stdin is longer than the largest message the client sends (${publisher.messageBytesMax} bytes).`);
      rest = Buffer.from(data);
    }
  } catch (error) {
    // Destroying stdin when the connection ends may end the loop with an error of its own.
    if (error instanceof CliExit || session.over === null) throw error;
  }
  if (publisher.lost) throw publisher.lost;
  if (session.over) throw session.over;
  if (rest.length > 0) await publisher.publish(rest);
}
