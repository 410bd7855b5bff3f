/**
 * Supervises the engine sidecar the way vscode-languageclient supervises a language server.
 *
 * - Started lazily: the first request spawns the process and sends `initialize`; activation never waits.
 * - Crash budget: after a crash it restarts at once, unless it already restarted 4 times in 3 minutes;
 *   then it stays down, `onDidFail` explains why, and only an explicit `restart()` starts it again.
 * - Heartbeat: `ping` is answered by the sidecar's message thread even while the engine computes, so a
 *   ping that goes unanswered means the process hangs; it is killed and counted as a crash.
 * - Stop: a graceful `shutdown` request, stdin closed, then the whole process group killed, so nothing
 *   is left behind (a CUDA abort or a hang kills only the sidecar, never the extension host).
 *
 * Knows nothing of VS Code, so the same code is tested against real child processes under vitest.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  CancellationTokenSource,
  createMessageConnection,
  Emitter,
  type MessageConnection,
  type NotificationType,
  type RequestType,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { ScoutErrorCode } from '../../engine/errors.js';
import * as P from '../../engine/protocol.js';
import { EngineError } from '../errors.js';
import { RestartBudget } from './restartBudget.js';

export interface SidecarLaunch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The subset of vscode.LogOutputChannel the supervisor writes to. */
export interface SupervisorLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SupervisorOptions {
  launch: () => SidecarLaunch;
  initializeParams: () => P.InitializeParams;
  log: SupervisorLog;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  initializeTimeoutMs?: number;
  shutdownTimeoutMs?: number;
  budget?: RestartBudget;
}

export type SidecarState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

interface Running {
  child: ChildProcess;
  connection: MessageConnection;
  init: P.InitializeResult;
  exited: Promise<void>;
  heartbeat: NodeJS.Timeout;
}

const KNOWN_CODES = new Set<string>(Object.keys(P.ErrorCodeNumbers));

/** A JSON-RPC failure as the extension's typed error; the sidecar's `data.scoutCode` wins. */
export function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof ResponseError) {
    const data = e.data as Partial<P.ErrorData> | undefined;
    const code = data?.scoutCode && KNOWN_CODES.has(data.scoutCode) ? data.scoutCode : codeFromNumber(e.code);
    return new EngineError(code, e.message, { cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new EngineError('internal', message, { cause: e });
}

function codeFromNumber(n: number): ScoutErrorCode {
  for (const [code, num] of Object.entries(P.ErrorCodeNumbers)) if (num === n) return code as ScoutErrorCode;
  return 'protocol';
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Kills the sidecar and everything it started: it leads its own process group (`detached`). */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone; make sure the leader is too.
    child.kill('SIGKILL');
  }
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

function logEngineLine(log: SupervisorLog, line: string): void {
  try {
    const record = JSON.parse(line) as { level?: unknown; message?: unknown; time?: unknown } & Record<
      string,
      unknown
    >;
    if (typeof record.level === 'string' && LEVELS.has(record.level) && typeof record.message === 'string') {
      const { level, message, time: _time, ...fields } = record;
      const extra = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
      log[level as P.LogParams['level']](`[engine] ${message}${extra}`);
      return;
    }
  } catch {
    // not a log record: raw output
  }
  log.warn(`[engine] ${line}`);
}

export class SidecarSupervisor {
  private state_: SidecarState = 'stopped';
  private running: Running | undefined;
  private starting: Promise<Running> | undefined;
  private failure: EngineError | undefined;
  private readonly budget: RestartBudget;
  private readonly stateEmitter = new Emitter<SidecarState>();
  private readonly deltaEmitter = new Emitter<P.ChatDeltaParams>();
  private readonly progressEmitter = new Emitter<P.ProgressParams>();
  private readonly failEmitter = new Emitter<EngineError>();
  private readonly restartEmitter = new Emitter<void>();

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onChatDelta = this.deltaEmitter.event;
  readonly onProgress = this.progressEmitter.event;
  /** The crash budget is spent: the sidecar stays down until `restart()`. Fired once per failure. */
  readonly onDidFail = this.failEmitter.event;
  /** A new sidecar process replaced a crashed one: whatever it had loaded is gone. */
  readonly onDidRestart = this.restartEmitter.event;

  constructor(private readonly options: SupervisorOptions) {
    this.budget = options.budget ?? new RestartBudget();
  }

  get state(): SidecarState {
    return this.state_;
  }

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  get capabilities(): P.InitializeResult | undefined {
    return this.running?.init;
  }

  /** Sends a request, starting the sidecar first if needed; `signal` cancels it in the engine too. */
  async request<Params, Result>(
    type: RequestType<Params, Result, P.ErrorData>,
    params: Params,
    signal?: AbortSignal,
  ): Promise<Result> {
    if (signal?.aborted) throw new EngineError('cancelled', 'cancelled');
    const running = await this.ensureStarted();
    if (signal?.aborted) throw new EngineError('cancelled', 'cancelled');
    const cts = new CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // By method name: the generic overloads of sendRequest cannot be resolved for a generic `type`;
      // this method's signature keeps callers typed.
      const result = (await running.connection.sendRequest(type.method, params, cts.token)) as Result;
      // An engine may finish a request it was asked to cancel: the caller asked to stop, so it stopped.
      if (signal?.aborted) throw new EngineError('cancelled', 'cancelled');
      return result;
    } catch (e) {
      if (signal?.aborted) throw new EngineError('cancelled', 'cancelled', { cause: e });
      if (this.running !== running)
        throw (
          this.failure ??
          new EngineError('internal', 'The Scout engine stopped while answering.', { cause: e })
        );
      throw toEngineError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }

  /**
   * Sends a notification to the running sidecar; never starts one: what a notification reports (file
   * changes) only matters to a sidecar that already holds state about it.
   */
  notify<Params>(type: NotificationType<Params>, params: Params): boolean {
    if (!this.running) return false;
    // By method name, as request() does: the generic overloads cannot be resolved for a generic `type`.
    void this.running.connection.sendNotification(type.method, params).catch(() => {});
    return true;
  }

  ensureStarted(): Promise<Running> {
    if (this.running) return Promise.resolve(this.running);
    if (this.state_ === 'failed' && this.failure) return Promise.reject(this.failure);
    this.starting ??= this.spawnAndInitialize().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** A restart the user asked for: a fresh crash budget, a fresh process. */
  async restart(): Promise<void> {
    await this.stop();
    this.budget.reset();
    this.failure = undefined;
    await this.ensureStarted();
  }

  async stop(): Promise<void> {
    const running = this.running ?? (await this.starting?.catch(() => undefined));
    if (!running) return;
    this.setState('stopping');
    this.running = undefined;
    clearInterval(running.heartbeat);
    const timeout = this.options.shutdownTimeoutMs ?? 2_000;
    try {
      await withTimeout(
        running.connection.sendRequest(P.Shutdown.type, {}),
        timeout,
        () => new Error('shutdown timed out'),
      );
    } catch (e) {
      this.options.log.warn(`engine did not shut down cleanly: ${toEngineError(e).message}`);
    }
    running.connection.dispose();
    running.child.stdin?.end();
    const exitedInTime = await withTimeout(
      running.exited.then(() => true),
      timeout,
      () => new Error('exit timed out'),
    ).catch(() => false);
    // Even after a clean exit, kill the group: anything the sidecar started must go with it.
    killTree(running.child);
    if (!exitedInTime) {
      this.options.log.warn('engine did not exit after shutdown: killed its process tree');
      await running.exited;
    }
    this.setState('stopped');
  }

  dispose(): Promise<void> {
    return this.stop().finally(() => {
      for (const e of [
        this.stateEmitter,
        this.deltaEmitter,
        this.progressEmitter,
        this.failEmitter,
        this.restartEmitter,
      ])
        e.dispose();
    });
  }

  private setState(state: SidecarState): void {
    if (this.state_ === state) return;
    this.state_ = state;
    this.stateEmitter.fire(state);
  }

  private async spawnAndInitialize(): Promise<Running> {
    this.setState('starting');
    const { log } = this.options;
    const launch = this.options.launch();
    log.info(`starting engine: ${launch.command} ${launch.args.join(' ')}`);
    const child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so a tree kill reaches its children
      windowsHide: true,
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (e) =>
        reject(new EngineError('not_found', `Could not start the Scout engine: ${e.message}`, { cause: e })),
      ),
    );
    // stderr carries every log record as a JSON line (the same records also arrive as `log`
    // notifications, which are therefore not logged again) plus whatever native code prints before
    // dying (CUDA errors, aborts): those raw lines are warnings.
    let partial = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) logEngineLine(log, line);
    });
    child.stderr?.on('end', () => partial.trim() && logEngineLine(log, partial));

    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    connection.onNotification(P.ChatDelta.type, (p) => this.deltaEmitter.fire(p));
    connection.onNotification(P.Progress.type, (p) => this.progressEmitter.fire(p));
    connection.onNotification(P.Log.type, (p) =>
      log[p.level](`[engine] ${p.message}${p.fields ? ' ' + JSON.stringify(p.fields) : ''}`),
    );
    connection.onError(([e]) => log.error(`engine connection error: ${e.message}`));
    connection.listen();

    const exitBeforeReady = exited.then(() => {
      throw new EngineError(
        'internal',
        `The Scout engine exited during start-up (exit code ${child.exitCode ?? child.signalCode}). See the logs.`,
      );
    });
    try {
      const init = await withTimeout(
        Promise.race([
          connection.sendRequest(P.Initialize.type, this.options.initializeParams()),
          spawnError,
          exitBeforeReady,
        ]),
        this.options.initializeTimeoutMs ?? 30_000,
        () => new EngineError('internal', 'The Scout engine did not answer `initialize` in time.'),
      );
      if (init.protocolVersion !== P.PROTOCOL_VERSION) {
        throw new EngineError(
          'protocol',
          `The Scout engine speaks protocol ${init.protocolVersion}, the extension ${P.PROTOCOL_VERSION}: reinstall the extension.`,
        );
      }
      log.info(
        `engine ${init.engineVersion} ready (pid ${child.pid}, backends: ${init.capabilities.backends.join(', ') || 'none'})`,
      );
      const running: Running = {
        child,
        connection,
        init,
        exited,
        heartbeat: this.startHeartbeat(child, connection),
      };
      this.running = running;
      child.once('exit', (code, signal) => this.onExit(running, code, signal));
      this.setState('running');
      return running;
    } catch (e) {
      const error = toEngineError(e);
      log.error(`engine start failed: ${error.message}`);
      connection.dispose();
      killTree(child);
      this.recordCrash(error);
      throw this.failure ?? error;
    }
  }

  private startHeartbeat(child: ChildProcess, connection: MessageConnection): NodeJS.Timeout {
    const interval = this.options.heartbeatIntervalMs ?? 15_000;
    // Generous: on a loaded 2-core machine a healthy sidecar can take seconds to answer; only a
    // process silent for a minute is treated as hung.
    const timeout = this.options.heartbeatTimeoutMs ?? 60_000;
    let waiting = false;
    const timer = setInterval(() => {
      if (waiting) return;
      waiting = true;
      withTimeout(connection.sendRequest(P.Ping.type, {}), timeout, () => new Error('no answer'))
        .catch(() => {
          if (this.running?.child !== child) return;
          this.options.log.error(`engine did not answer a ping within ${timeout} ms: killing it`);
          killTree(child);
        })
        .finally(() => (waiting = false));
    }, interval);
    timer.unref();
    return timer;
  }

  private onExit(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    clearInterval(running.heartbeat);
    running.connection.dispose();
    if (this.running !== running) return; // stopped on purpose
    this.running = undefined;
    killTree(running.child);
    const error = new EngineError(
      'internal',
      `The Scout engine stopped unexpectedly (${signal ?? `exit code ${code}`}).`,
    );
    this.options.log.error(error.message);
    this.recordCrash(error);
    if (this.state_ === 'failed') return;
    this.setState('stopped');
    this.ensureStarted().then(
      () => this.restartEmitter.fire(),
      () => undefined, // recorded and logged by spawnAndInitialize
    );
  }

  private recordCrash(error: EngineError): void {
    if (this.budget.allowRestart()) {
      this.setState('stopped');
      return;
    }
    this.failure = new EngineError(
      error.code,
      `The Scout engine failed ${this.budget.recentCrashes} times in 3 minutes and was stopped. Last error: ${error.message}`,
      { cause: error },
    );
    this.setState('failed');
    this.failEmitter.fire(this.failure);
  }
}
