/**
 * What the status bar and "Scout: Show Engine Status" say about the engine, as plain data (no VS
 * Code), so the wording is tested without an editor.
 */
import type { EngineSnapshot } from './engineStatus.js';
import { formatBytes, formatTokens } from './format.js';

export interface StatusSummary {
  /** Short text with a codicon for the status bar. */
  text: string;
  /** One fact per line for tooltips and the status report. */
  lines: string[];
  problem: boolean;
}

const STATE_TEXT: Record<EngineSnapshot['state'], string> = {
  stopped: 'engine not started (it starts on first use)',
  starting: 'engine starting…',
  running: 'engine running',
  stopping: 'engine stopping…',
  failed: 'engine stopped after repeated crashes: run "Scout: Restart Engine"',
};

export function summarizeStatus({ state, status }: EngineSnapshot): StatusSummary {
  const lines = [STATE_TEXT[state]];
  let text = '$(circle-outline) Scout';
  if (state === 'starting' || state === 'stopping') text = '$(loading~spin) Scout';
  if (state === 'failed') text = '$(error) Scout';
  if (state === 'running' && status) {
    const m = status.model;
    if (status.state === 'loading') text = '$(loading~spin) Scout: loading';
    else if (status.state === 'busy') text = `$(sync~spin) Scout${m ? `: ${shortName(m.id)}` : ''}`;
    else text = m ? `$(check) Scout: ${shortName(m.id)}` : '$(circle-outline) Scout: no model';
    if (m) {
      lines.push(`model: ${m.id} (${m.backend === 'remote' ? `server ${m.source}` : m.source})`);
      lines.push(
        `context: ${formatTokens(status.context.tokensInUse)} of ${formatTokens(status.context.capacity)} tokens in use`,
      );
    } else {
      lines.push('model: none loaded (run "Scout: Load Model")');
    }
    const mem = status.memory;
    lines.push(
      `memory: weights ${formatBytes(mem.weightBytes)}, KV cache ${formatBytes(mem.kvBytes)}, engine process ${formatBytes(mem.rssBytes)}`,
    );
    const c = status.cache;
    const lookups = c.hits + c.misses;
    const rate = lookups ? ` (${Math.round((100 * c.hits) / lookups)} % hits)` : '';
    lines.push(
      `prompt cache: ${c.entries} entries, ${c.hits} hits / ${c.misses} misses${rate}, ${formatTokens(c.reusedTokens)} tokens reused`,
    );
  }
  return { text, lines, problem: state === 'failed' };
}

function shortName(id: string): string {
  const base = id.split(/[\\/]/).filter(Boolean).at(-1) ?? id;
  return base.length > 28 ? `${base.slice(0, 27)}…` : base;
}
