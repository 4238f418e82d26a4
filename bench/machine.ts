import { cpus, totalmem } from 'node:os'

/** The machine a benchmark ran on, as every results file records it. */
export function machineInfo(): { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string } {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
  }
}
