/**
 * The shape of one `scout` sub-command. Each lives in its own file under ./commands and is listed in
 * ./commands/index.ts; main.ts only dispatches.
 */
export interface CliIO {
  /** Machine-readable results (JSON). Nothing else may be written here by a command that prints JSON. */
  stdout: NodeJS.WritableStream;
  /** Progress, diagnostics and errors for people. */
  stderr: NodeJS.WritableStream;
  /** True when stderr is a terminal (progress bars) rather than a pipe or file (plain lines). */
  isTTY: boolean;
  /** Aborted on SIGINT: long commands stop cleanly. */
  signal: AbortSignal;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. Throws ScoutError for bad input; main prints it. */
  run(argv: string[], io: CliIO): Promise<number>;
}
