/**
 * The engine sidecar: the process the VS Code extension supervises. It owns the model; the extension
 * talks to it with JSON-RPC over stdin/stdout (protocol.ts).
 *
 * Why a separate process: a crash or a blocked thread here must never take VS Code down, and memory
 * (GPU memory above all) is only reliably freed when the process that owns it exits.
 *
 * - Heavy work runs on the addon's worker threads, so this thread always answers `ping`.
 * - It exits when its parent dies (the watchdog polls the parent pid), when stdin closes, and after
 *   `shutdown`.
 * - Logs are structured: `log` notifications to the client; JSON lines on stderr for start and crashes.
 */
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import * as P from './protocol.js';
import { serveConnection } from './server/connection.js';
import { FrameSizeGuard } from './server/frame-guard.js';
import { createCore } from './server/core.js';
import { productionDeps } from './server/deps.js';

const PARENT_POLL_MS = 2_000;
/** Largest JSON-RPC message accepted: room for a chat with a few base64 screenshots. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

function parentAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function main(): void {
  const logLine = (level: P.LogParams['level'], message: string, fields?: Record<string, unknown>) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`,
    );
  };
  // Messages over the limit are skipped as they stream by, never buffered (frame-guard.ts).
  const input = process.stdin.pipe(
    new FrameSizeGuard(MAX_MESSAGE_BYTES, (bytes) =>
      logLine('warn', 'skipped an oversized message', { bytes, limit: MAX_MESSAGE_BYTES }),
    ),
  );
  const connection = createMessageConnection(
    new StreamMessageReader(input),
    new StreamMessageWriter(process.stdout),
  );
  const notify = {
    progress: (p: P.ProgressParams) => void connection.sendNotification(P.Progress.type, p),
    chatDelta: (p: P.ChatDeltaParams) => void connection.sendNotification(P.ChatDelta.type, p),
    // Structured logs go to the client once; stderr carries only what happens outside a request
    // (start, crashes), which the supervisor records when the connection itself is in trouble.
    log: (p: P.LogParams) => void connection.sendNotification(P.Log.type, p),
  };
  const exit = (code: number) => {
    connection.dispose();
    process.exit(code);
  };
  // After `shutdown`, exit once its response has been written: the reply is queued after the handler
  // returns, so wait a moment, then for stdout to flush everything before it.
  const exitAfterReply = () => setTimeout(() => process.stdout.write('', () => exit(0)), 20);
  const core = createCore(productionDeps(), notify, exitAfterReply);
  serveConnection(connection, core, {
    onInternalError: (e, method) =>
      logLine('error', `internal error in ${method}`, { error: e instanceof Error ? e.stack : String(e) }),
  });
  connection.onClose(() => exit(0));
  connection.listen();

  // Parent-pid watchdog: an orphaned sidecar would hold the model's memory forever.
  const parentPid = Number(process.env.SCOUT_PARENT_PID ?? process.ppid);
  const watchdog = setInterval(() => {
    if (!parentAlive(parentPid)) {
      logLine('warn', 'parent process is gone; exiting', { parentPid });
      exit(0);
    }
  }, PARENT_POLL_MS);
  watchdog.unref();

  process.on('uncaughtException', (e) => {
    logLine('error', 'uncaught exception', { error: e.stack ?? String(e) });
    exit(70);
  });
  process.on('unhandledRejection', (e) => {
    logLine('error', 'unhandled rejection', { error: e instanceof Error ? e.stack : String(e) });
  });
  logLine('info', 'sidecar started', { pid: process.pid, parentPid, node: process.version });
}

main();
