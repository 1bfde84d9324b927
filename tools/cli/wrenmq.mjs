#!/usr/bin/env node
// `wrenmq pub` and `wrenmq sub`: mosquitto_pub and mosquitto_sub's command lines on our client
// core (tools/client/host.mjs over build/wasm/wrenmq-client.wasm). This file picks the command,
// prints what ends the run (errors and usage on stderr, --help on stdout) and exits with its code.
import { argsParse, usage, UsageError } from "./args.mjs";
import { pub } from "./pub.mjs";
import { CliExit, EXIT_ERROR, EXIT_OK } from "./session.mjs";
import { sub } from "./sub.mjs";

const COMMANDS = { pub, sub };
const OVERVIEW = [
  "Usage: wrenmq pub -t topic {-m message | -f file | -n | -l | -s} [options]",
  "       wrenmq sub -t filter [-t filter ...] [-v] [-C count] [-W seconds] [options]",
  "",
  "The flags are mosquitto_pub's and mosquitto_sub's; 'wrenmq pub --help' and 'wrenmq sub --help' list them.",
  "",
].join("\n");

/** Runs one command line; resolves with the exit code. */
async function main(argv) {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(OVERVIEW);
    return EXIT_OK;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`Error: ${command === undefined ? "no command given" : `unknown command '${command}'`}: wrenmq pub or wrenmq sub.\n\n${OVERVIEW}`);
    return EXIT_ERROR;
  }
  try {
    const config = argsParse(command, rest);
    if (config.help) {
      process.stdout.write(usage(command));
      return EXIT_OK;
    }
    return await run(config);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`Error: ${error.message}\nUse 'wrenmq ${command} --help' to see usage.\n`);
      return EXIT_ERROR;
    }
    if (error instanceof CliExit) {
      if (error.message) process.stderr.write(`${error.message}\n`);
      return error.code;
    }
    throw error;
  }
}

// A reader that goes away (`wrenmq sub ... | head -1`) ends the run quietly.
process.stdout.on("error", (error) => process.exit(error.code === "EPIPE" ? EXIT_OK : EXIT_ERROR));

const code = await main(process.argv.slice(2));
// The client's timers and sockets are closed by now; exit at once rather than trust that.
process.exit(code);
