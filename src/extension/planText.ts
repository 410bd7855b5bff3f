/**
 * The memory plan as a Markdown page the walkthrough opens: what this machine holds for each weight
 * format and KV type, and what Scout recommends. Pure, so it is tested without VS Code.
 */
import type { ModelPlanResult } from '../engine/protocol.js';
import { formatBytes, formatTokens } from './format.js';

export function planMarkdown({ source, plan }: ModelPlanResult): string {
  const lines = [
    `# What fits on this machine`,
    '',
    `Model: ${source}; ${plan.architecture}, ${(plan.params.total / 1e9).toFixed(1)} B parameters, ${(plan.params.activePerToken / 1e9).toFixed(1)} B active per token.`,
    '',
    ...plan.devices.map(
      (d) =>
        `- ${d.name}: ${formatBytes(d.totalBytes)} total, ${formatBytes(d.usableBytes)} usable (free memory less a ${formatBytes(plan.reserveBytes)} reserve)`,
    ),
    '',
    `| device | weights | KV cache | weight memory | KV per token | largest context | ${formatTokens(plan.requestedContext)} tokens |`,
    '|---|---|---|---:|---:|---:|:---:|',
    ...plan.rows.map(
      (r) =>
        `| ${r.device} | ${r.weights} | ${r.kv} | ${formatBytes(r.weightBytes)} | ${formatBytes(r.kvBytesPerToken)} | ${r.maxContext > 0 ? formatTokens(r.maxContext) : 'weights do not fit'} | ${r.fits ? 'fits' : 'no'} |`,
    ),
    '',
    plan.recommended
      ? `**Recommended:** ${plan.recommended.weights} weights with a ${plan.recommended.kv} KV cache on the ${plan.recommended.device === 'gpu' ? 'GPU' : 'CPU (RAM)'}, ${formatTokens(plan.recommended.context)} tokens of context: ${plan.recommended.reason}.`
      : '**Nothing fits on this machine.** Use a machine with more memory, or an OpenAI-compatible server (vLLM, SGLang, llama.cpp) that already serves Scout: run "Scout: Use an OpenAI-compatible Server".',
    '',
  ];
  return lines.join('\n');
}
