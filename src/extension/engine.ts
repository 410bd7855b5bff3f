/**
 * The one engine sidecar of this window: created at activation (which starts nothing), started by the
 * first request, restarted when an engine setting changes, stopped on deactivation (Reload Window,
 * closing the window) so no process outlives the extension host.
 */
import * as vscode from 'vscode';
import * as P from '../engine/protocol.js';
import { log } from './log.js';
import { showError } from './notify.js';
import { ENGINE_KEYS, engineSettings } from './settings.js';
import { ScoutClient } from './sidecar/client.js';
import { SidecarSupervisor } from './sidecar/supervisor.js';

export function registerEngine(context: vscode.ExtensionContext): ScoutClient {
  const supervisor = new SidecarSupervisor({
    // The extension host's own Node runs the sidecar: nothing to install, and it works in every
    // VS Code build and over Remote-SSH (the sidecar then runs on the remote machine, next to the GPU).
    launch: () => ({
      command: process.execPath,
      args: [context.asAbsolutePath('dist/sidecar.js')],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', SCOUT_PARENT_PID: String(process.pid) },
      cwd: context.extensionPath,
    }),
    initializeParams: () => ({
      protocolVersion: P.PROTOCOL_VERSION,
      clientName: vscode.env.appName,
      clientVersion: String(context.extension.packageJSON.version),
      settings: engineSettings(),
    }),
    log: log(),
  });
  const client = new ScoutClient(supervisor);

  supervisor.onDidFail((e) => void showError('the engine was stopped', e));
  client.onDidChangeModel((m) =>
    log().info(
      m ? `model ready: ${m.id} (${m.backend}, ${m.contextLength} tokens of context)` : 'no model loaded',
    ),
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (supervisor.state !== 'running' || !ENGINE_KEYS.some((k) => e.affectsConfiguration(k))) return;
      log().info('engine settings changed: restarting the engine to apply them');
      supervisor.restart().catch((err) => showError('restarting the engine', err));
    }),
    // Disposed last among subscriptions is not guaranteed, so deactivate() also awaits stop().
    { dispose: () => void supervisor.dispose() },
  );
  stopOnDeactivate = () => supervisor.dispose();
  return client;
}

let stopOnDeactivate: (() => Promise<void>) | undefined;

/** Awaited by deactivate(): VS Code waits for it, so the sidecar is gone before the host exits. */
export function stopEngine(): Promise<void> {
  return stopOnDeactivate?.() ?? Promise.resolve();
}
