/**
 * The engine's status as the status bar and the chat view's context meter show it. It is polled
 * only while the sidecar runs and the window has focus, so an idle editor never wakes the engine.
 */
import * as vscode from 'vscode';
import type * as P from '../engine/protocol.js';
import type { ScoutClient } from './sidecar/client.js';
import type { SidecarState } from './sidecar/supervisor.js';

export interface EngineSnapshot {
  state: SidecarState;
  status: P.StatusResult | undefined;
}

const POLL_MS = 5_000;

export class EngineStatus implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<EngineSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private last: EngineSnapshot;
  private readonly subscriptions: vscode.Disposable[] = [];
  readonly onDidChange = this.emitter.event;

  constructor(private readonly client: ScoutClient) {
    this.last = { state: client.supervisor.state, status: undefined };
    const stateSub = client.supervisor.onDidChangeState((state) => {
      this.publish({ state, status: state === 'running' ? this.last.status : undefined });
      this.schedule();
      if (state === 'running') void this.refresh();
    });
    this.subscriptions.push(
      { dispose: () => stateSub.dispose() },
      vscode.window.onDidChangeWindowState(() => this.schedule()),
    );
  }

  get snapshot(): EngineSnapshot {
    return this.last;
  }

  /** Asks the running engine now (after a request ends, say); never starts it. */
  async refresh(): Promise<void> {
    if (this.client.supervisor.state !== 'running') return;
    try {
      this.publish({ state: this.client.supervisor.state, status: await this.client.status() });
    } catch {
      // A failed poll says nothing new: a crash arrives through the state change.
    }
  }

  private schedule(): void {
    const wanted = this.client.supervisor.state === 'running' && vscode.window.state.focused;
    if (wanted && !this.timer) this.timer = setInterval(() => void this.refresh(), POLL_MS);
    if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private publish(snapshot: EngineSnapshot): void {
    this.last = snapshot;
    this.emitter.fire(snapshot);
  }

  dispose(): void {
    clearInterval(this.timer);
    this.subscriptions.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}
