// `wrenmq sub`: subscribes to every -t filter and prints each message as it arrives, until -C
// messages have been printed (exit 0), -W seconds have passed (exit 27, as mosquitto_sub),
// SIGINT or SIGTERM (exit 0, a clean DISCONNECT, so no will), the connection ends (exit 1), or
// the server refuses every subscription (its SUBACK code).
//
// Output as mosquitto_sub's: the payload's bytes and "\n"; with -v, "topic payload\n", and
// "topic (null)\n" for an empty payload; without -v an empty payload prints nothing.
import { CliExit, EXIT_ERROR, EXIT_OK, EXIT_TIMEOUT, Session } from "./session.mjs";

const SPACE = Buffer.from(" ");
const NEWLINE = Buffer.from("\n");
const NULL_PAYLOAD = Buffer.from("(null)");

/** Runs `wrenmq sub` with a parsed config; resolves with the exit code or throws a CliExit. */
export async function sub(config, { stdout = process.stdout } = {}) {
  const session = new Session(config);
  const { client } = session;
  // Subscriptions wait in the client's table and go out right after the CONNACK.
  const handles = config.topics.map((filter) => {
    try {
      return client.subscribe(filter, config.qos);
    } catch (error) {
      throw new CliExit(EXIT_ERROR, `Error: cannot subscribe to '${filter}': ${error.message}.`);
    }
  });
  let finish;
  const outcome = new Promise((resolve) => { finish = resolve; });
  let printed = 0;
  client.on("message", (topic, payload) => {
    if (config.count > 0 && printed === config.count) return;
    printed++;
    stdout.write(messageLine(topic, payload, config.verbose));
    if (printed === config.count) finish(EXIT_OK);
  });
  const timer = config.timeoutS > 0 ? setTimeout(() => finish(new CliExit(EXIT_TIMEOUT, "Timed out")), config.timeoutS * 1000) : null;
  const onSignal = () => finish(EXIT_OK);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  session.ended.then(finish);
  session.connect().then(() => subscriptionsCheck(session, handles, config.topics)).then((exit) => { if (exit) finish(exit); }, finish);
  try {
    const result = await outcome;
    if (result instanceof Error) throw result;
    return result;
  } finally {
    clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await session.close();
  }
}

function messageLine(topic, payload, verbose) {
  if (!verbose) return payload.length === 0 ? "" : Buffer.concat([payload, NEWLINE]);
  return Buffer.concat([Buffer.from(topic), SPACE, payload.length === 0 ? NULL_PAYLOAD : payload, NEWLINE]);
}

/**
 * Once every SUBACK is in: warns of each refused filter; when all are refused, resolves with a
 * CliExit carrying the first refusal's code, otherwise with null: the run goes on.
 */
async function subscriptionsCheck(session, handles, filters) {
  const results = await Promise.all(handles.map((handle) => session.settled(handle)));
  let refusal = null;
  for (let i = 0; i < results.length; i++) {
    if (results[i].status !== "failed") continue;
    const { code, text } = session.refusalOf(results[i].reason);
    process.stderr.write(`Warning: the server refused the subscription to '${filters[i]}': ${text}.\n`);
    refusal ??= code;
  }
  if (results.some((result) => result.status === "lost")) return session.over;
  if (refusal !== null && results.every((result) => result.status === "failed")) return new CliExit(refusal, "Error: All subscription requests were denied.");
  return null;
}
