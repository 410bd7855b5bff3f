import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as P from '../../../src/engine/protocol.js';
import { EngineError } from '../../../src/extension/errors.js';
import { RestartBudget } from '../../../src/extension/sidecar/restartBudget.js';
import {
  type SidecarState,
  SidecarSupervisor,
  type SupervisorOptions,
} from '../../../src/extension/sidecar/supervisor.js';

const responder = join(__dirname, '..', 'fixtures', 'responder.mjs');
const quietLog = { debug() {}, info() {}, warn() {}, error() {} };
const supervisors: SidecarSupervisor[] = [];

function supervise(env: Record<string, string> = {}, options: Partial<SupervisorOptions> = {}) {
  const s = new SidecarSupervisor({
    launch: () => ({ command: process.execPath, args: [responder], env: { ...process.env, ...env } }),
    initializeParams: () => ({
      protocolVersion: P.PROTOCOL_VERSION,
      clientName: 'test',
      clientVersion: '0',
      settings: {},
    }),
    log: quietLog,
    shutdownTimeoutMs: 500,
    ...options,
  });
  supervisors.push(s);
  return s;
}

function chat(s: SidecarSupervisor, content: string, signal?: AbortSignal) {
  return s.request(P.Chat.type, { requestId: 'r1', messages: [{ role: 'user', content }] }, signal);
}

/** Running, not a zombie: in containers nobody may reap a killed grandchild, and zombies hold no resources. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function nextState(s: SidecarSupervisor, state: SidecarState): Promise<void> {
  return new Promise((resolve) => {
    const sub = s.onDidChangeState((st) => st === state && (sub.dispose(), resolve()));
  });
}

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.dispose()));
});

describe('RestartBudget', () => {
  it('allows 4 restarts in 3 minutes and refuses the 5th crash, but forgets old crashes', () => {
    let now = 0;
    const budget = new RestartBudget(4, 180_000, () => now);
    expect([1, 2, 3, 4].map(() => budget.allowRestart())).toEqual([true, true, true, true]);
    expect(budget.allowRestart()).toBe(false);
    now = 181_000;
    expect(budget.allowRestart()).toBe(true);
  });
});

describe('SidecarSupervisor', () => {
  it('starts lazily on the first request and streams deltas tagged with the request id', async () => {
    const s = supervise();
    expect(s.state).toBe('stopped');
    expect(s.pid).toBeUndefined();
    const deltas: string[] = [];
    s.onChatDelta((d) => deltas.push(`${d.requestId}:${d.text}`));
    const result = await chat(s, 'hi');
    expect(result.text).toBe('Hello world');
    expect(deltas).toEqual(['r1:Hello', 'r1: world']);
    expect(s.state).toBe('running');
  });

  it('logs engine stderr records at their level, and raw native output as warnings', async () => {
    const lines: string[] = [];
    const log = {
      debug() {},
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error() {},
    };
    const s = supervise({}, { log });
    await chat(s, 'hi');
    await new Promise((r) => setTimeout(r, 50));
    expect(lines).toContain('info [engine] initialized {"client":"test"}');
    expect(lines).toContain('warn [engine] CUDA error: raw text');
  });

  it('turns the sidecar error data into a typed EngineError', async () => {
    const s = supervise();
    await expect(chat(s, 'bad')).rejects.toMatchObject({
      name: 'EngineError',
      code: 'image',
      message: 'image: not a PNG',
    });
  });

  it('cancels in the engine when the signal aborts', async () => {
    const s = supervise();
    const controller = new AbortController();
    const pending = chat(s, 'hang', controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    // The sidecar is still healthy afterwards.
    expect((await chat(s, 'hi')).text).toBe('Hello world');
  });

  it('restarts after a crash and reports the crash to the pending request', async () => {
    const s = supervise();
    await chat(s, 'hi');
    const firstPid = s.pid!;
    const restarted = new Promise<void>((resolve) => s.onDidRestart(() => resolve()));
    await expect(chat(s, 'crash')).rejects.toBeInstanceOf(EngineError);
    await restarted;
    expect(s.pid).not.toBe(firstPid);
    expect((await chat(s, 'hi')).text).toBe('Hello world');
  });

  it('gives up after the 5th crash in the window, explains once, and restarts only when asked', async () => {
    const s = supervise({}, { budget: new RestartBudget(4, 180_000) });
    const failures: EngineError[] = [];
    s.onDidFail((e) => failures.push(e));
    for (let i = 0; i < 5; i++) {
      await chat(s, 'hi').catch(() => undefined); // wait for the restarted process
      await chat(s, 'crash').catch(() => undefined);
    }
    if (s.state !== 'failed') await nextState(s, 'failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/failed 5 times in 3 minutes/);
    await expect(chat(s, 'hi')).rejects.toBe(failures[0]);
    await s.restart();
    expect((await chat(s, 'hi')).text).toBe('Hello world');
  });

  it('kills a sidecar that stops answering pings', async () => {
    const s = supervise({ RESPONDER_HANG_PING: '1' }, { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 200 });
    await chat(s, 'hi');
    const pid = s.pid!;
    await new Promise<void>((resolve) => s.onDidRestart(() => resolve()));
    expect(alive(pid)).toBe(false);
  });

  it('fails start-up with a clear error when the sidecar exits or speaks another protocol', async () => {
    await expect(chat(supervise({ RESPONDER_EXIT_ON_INIT: '1' }), 'hi')).rejects.toThrow(
      /exited during start-up \(exit code 7\)/,
    );
    await expect(chat(supervise({ RESPONDER_PROTOCOL: '99' }), 'hi')).rejects.toMatchObject({
      code: 'protocol',
    });
  });

  it('stops gracefully, and kills the whole tree of a sidecar that ignores shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scout-sup-'));
    const graceful = supervise({ RESPONDER_GRANDCHILD: join(dir, 'a') });
    await chat(graceful, 'hi');
    const stubborn = supervise({ RESPONDER_IGNORE_SHUTDOWN: '1', RESPONDER_GRANDCHILD: join(dir, 'b') });
    await chat(stubborn, 'hi');
    const pids = [
      graceful.pid!,
      stubborn.pid!,
      Number(readFileSync(join(dir, 'a'), 'utf8')),
      Number(readFileSync(join(dir, 'b'), 'utf8')),
    ];
    expect(pids.every(alive)).toBe(true);
    await Promise.all([graceful.stop(), stubborn.stop()]);
    await new Promise((r) => setTimeout(r, 100)); // let the kernel reap the grandchildren
    expect(pids.filter(alive)).toEqual([]);
    expect(graceful.state).toBe('stopped');
  });
});
