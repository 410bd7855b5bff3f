/**
 * What memory this machine offers: available RAM (Linux MemAvailable, which counts reclaimable page
 * cache, hence mmapped weights, as available; os.freemem elsewhere) and each NVIDIA GPU's total and
 * used memory from nvidia-smi. No GPU, no nvidia-smi, or an nvidia-smi that fails are all answered
 * with an empty GPU list: the plan then covers RAM only, and says so.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { ScoutError } from '../errors.js';

export interface GpuMemory {
  index: number;
  name: string;
  totalBytes: number;
  usedBytes: number;
}

export interface MachineMemory {
  ramTotalBytes: number;
  ramAvailableBytes: number;
  gpus: GpuMemory[];
}

const MIB = 1024 * 1024;

/** The query nvidia-smi answers; `nounits` makes memory plain MiB integers. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,memory.used',
  '--format=csv,noheader,nounits',
] as const;

/**
 * Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits`.
 * Names may contain commas in theory, so the numeric columns are taken from the right.
 * A line that does not parse is a `protocol` error rather than a silently missing GPU.
 */
export function parseNvidiaSmi(output: string): GpuMemory[] {
  const gpus: GpuMemory[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const cols = line.split(',').map((c) => c.trim());
    // Either index,name,total,used (NVIDIA_SMI_ARGS) or the bare total,used query.
    if (cols.length !== 2 && cols.length < 4)
      throw new ScoutError('protocol', `unexpected nvidia-smi line: '${line.slice(0, 200)}'`);
    const used = cols.pop()!;
    const total = cols.pop()!;
    const index = cols.length ? cols.shift()! : String(gpus.length);
    if ([index, total, used].some((n) => !/^\d+$/.test(n)))
      throw new ScoutError(
        'protocol',
        `unexpected nvidia-smi line (memory not in MiB?): '${line.slice(0, 200)}'`,
      );
    gpus.push({
      index: Number(index),
      name: cols.join(', ') || `GPU ${index}`,
      totalBytes: Number(total) * MIB,
      usedBytes: Number(used) * MIB,
    });
  }
  return gpus;
}

/** Parses /proc/meminfo; undefined when MemTotal or MemAvailable is missing (old kernels). */
export function parseMemInfo(text: string): { totalBytes: number; availableBytes: number } | undefined {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const totalBytes = field('MemTotal');
  const availableBytes = field('MemAvailable');
  return totalBytes !== undefined && availableBytes !== undefined
    ? { totalBytes, availableBytes }
    : undefined;
}

export async function probeRam(): Promise<{ totalBytes: number; availableBytes: number }> {
  if (process.platform === 'linux') {
    const text = await readFile('/proc/meminfo', 'utf8').catch(() => '');
    const parsed = parseMemInfo(text);
    if (parsed) return parsed;
  }
  return { totalBytes: os.totalmem(), availableBytes: os.freemem() };
}

/** Runs nvidia-smi with a timeout; a missing binary or a failing driver means "no GPU". */
export async function probeGpus(nvidiaSmi = 'nvidia-smi', timeoutMs = 10_000): Promise<GpuMemory[]> {
  const output = await new Promise<string | undefined>((resolve) => {
    execFile(nvidiaSmi, [...NVIDIA_SMI_ARGS], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
  return output === undefined ? [] : parseNvidiaSmi(output);
}

export async function probeMachine(): Promise<MachineMemory> {
  const [ram, gpus] = await Promise.all([probeRam(), probeGpus()]);
  return { ramTotalBytes: ram.totalBytes, ramAvailableBytes: ram.availableBytes, gpus };
}
