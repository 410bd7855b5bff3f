// The walkthrough's plan page, from the real planner for Scout's published config on two machines.
import { describe, expect, it } from 'vitest';
import type { MachineMemory } from '../../../src/engine/model/machine.js';
import { planForMachine } from '../../../src/engine/model/setup.js';
import { planMarkdown } from '../../../src/extension/planText.js';

const GIB = 1024 ** 3;
// No model on disk in this environment: the plan is for Scout's published config.
const env = { HF_HOME: '/nonexistent/hf', HOME: '/nonexistent' };

describe('planMarkdown', () => {
  it('lists every device, format and KV type, and the recommendation on a GPU server', async () => {
    const machine: MachineMemory = {
      ramTotalBytes: 512 * GIB,
      ramAvailableBytes: 480 * GIB,
      gpus: [{ index: 0, name: 'NVIDIA H200', totalBytes: 141 * GIB, usedBytes: 0 }],
    };
    const plan = await planForMachine({ env, machine, context: 100_000 });
    const md = planMarkdown(plan);
    expect(md).toContain('- GPU 0 NVIDIA H200: 141 GB total');
    // One table row per plan row: device × weight format × KV type.
    const rows = md.split('\n').filter((l) => /^\| (gpu|ram) \|/.test(l));
    expect(rows).toHaveLength(plan.plan.rows.length);
    expect(md).toMatch(
      /\*\*Recommended:\*\* \S+ weights with a \S+ KV cache on the GPU, 100K tokens of context/,
    );
  });

  it('says plainly when nothing fits, and what to do instead', async () => {
    const machine: MachineMemory = { ramTotalBytes: 16 * GIB, ramAvailableBytes: 12 * GIB, gpus: [] };
    const md = planMarkdown(await planForMachine({ env, machine }));
    expect(md).toContain('weights do not fit');
    expect(md).toContain('**Nothing fits on this machine.**');
    expect(md).toContain('OpenAI-compatible server');
  });
});
