/**
 * Binds a SidecarCore to a JSON-RPC connection. Transport-independent: the same function serves stdio
 * (production), an in-memory duplex (tests) or a socket (debugging).
 *
 * Each request's vscode-jsonrpc CancellationToken becomes an AbortSignal at this boundary, and every
 * failure leaves as a ResponseError whose code and `data.scoutCode` come from protocol.ts.
 */
import { type CancellationToken, type MessageConnection, ResponseError } from 'vscode-jsonrpc';
import { CancelledError, isScoutError, type ScoutErrorCode } from '../errors.js';
import * as P from '../protocol.js';
import type { SidecarCore } from './core.js';

function toSignal(token: CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  const sub = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => sub.dispose() };
}

export function toResponseError(e: unknown): ResponseError<P.ErrorData> {
  const code: ScoutErrorCode = isScoutError(e) ? e.code : 'internal';
  const message = e instanceof Error ? e.message : String(e);
  return new ResponseError(P.ErrorCodeNumbers[code], message, { scoutCode: code });
}

export interface ServeOptions {
  /** Called for internal errors, with the stack: the sidecar logs them; the client gets the message. */
  onInternalError?: (e: unknown, method: string) => void;
}

export function serveConnection(
  connection: MessageConnection,
  core: SidecarCore,
  options: ServeOptions = {},
): void {
  // One wrapper for every request: signal in, typed error out.
  const handle = <Params, Result>(
    type: { method: string },
    fn: (params: Params, signal: AbortSignal) => Promise<Result> | Result,
  ) => {
    connection.onRequest(type.method, async (params: Params, token: CancellationToken) => {
      const { signal, dispose } = toSignal(token);
      try {
        const result = await fn(params ?? ({} as Params), signal);
        if (signal.aborted) throw new CancelledError();
        return result;
      } catch (e) {
        if (!isScoutError(e)) options.onInternalError?.(e, type.method);
        return toResponseError(e);
      } finally {
        dispose();
      }
    });
  };

  handle(P.Initialize.type, (p: P.InitializeParams) => core.initialize(p));
  handle(P.Ping.type, () => ({ time: Date.now() }));
  handle(P.Status.type, () => core.status());
  handle(P.ModelList.type, (_p, signal) => core.listModels(signal));
  handle(P.ModelLoad.type, (p: P.ModelLoadParams, signal) => core.loadModel(p, signal));
  handle(P.ModelUnload.type, () => core.unloadModel());
  handle(P.RepoPack.type, (p: P.RepoPackParams, signal) => core.packRepo(p, signal));
  handle(P.Chat.type, (p: P.ChatParams, signal) => core.chat(p, signal));
  handle(P.Complete.type, (p: P.CompleteParams, signal) => core.complete(p, signal));
  handle(P.Tokenize.type, (p: P.TokenizeParams) => core.tokenize(p));
  handle(P.ModelSetup.type, () => core.setupStatus());
  handle(P.ModelPlan.type, (p: P.ModelPlanParams) => core.planModel(p));
  handle(P.ModelDownload.type, (p: P.ModelDownloadParams, signal) => core.downloadModel(p, signal));
  handle(P.Shutdown.type, () => core.shutdown());
  connection.onNotification(P.RepoChanged.method, (p: P.RepoChangedParams) => {
    try {
      core.repoChanged(p);
    } catch (e) {
      options.onInternalError?.(e, P.RepoChanged.method);
    }
  });
}
