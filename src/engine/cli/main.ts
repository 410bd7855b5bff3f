/**
 * `scout`: the command-line face of the engine. Dispatches to ./commands; turns typed errors into a
 * one-line message and a non-zero exit code.
 */
import { ScoutError } from '../errors.js';
import type { CliIO } from './command.js';
import { commands } from './commands/index.js';

const EXIT_USAGE = 2;
const EXIT_ERROR = 1;
const EXIT_CANCELLED = 130;

function usage(): string {
  const names = Object.keys(commands).sort();
  return `usage: scout <command> [options]\n\ncommands: ${names.join(', ')}\n\nRun 'scout <command> --help' for a command's options.\n`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name ? 0 : EXIT_USAGE;
  }
  const load = commands[name];
  if (!load) {
    io.stderr.write(`scout: unknown command '${name}'\n${usage()}`);
    return EXIT_USAGE;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof ScoutError) {
      io.stderr.write(`scout ${name}: ${e.code}: ${e.message}\n`);
      return e.code === 'cancelled'
        ? EXIT_CANCELLED
        : e.code === 'invalid_argument'
          ? EXIT_USAGE
          : EXIT_ERROR;
    }
    throw e;
  }
}

/** Runs the CLI for this process: argv, stdio, SIGINT, exit code. */
export function runFromProcess(): void {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `scout: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = EXIT_ERROR;
    },
  );
}

// `node dist/cli.js …` runs directly; bin/scout.js calls runFromProcess() itself.
if (require.main === module) runFromProcess();
