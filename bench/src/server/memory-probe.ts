import { readFileSync, writeFileSync } from "node:fs";

/** Resident memory of a process in bytes, from Linux's /proc/<pid>/status. */
export interface ResidentMemory {
  /** VmRSS: resident now. */
  rss: number;
  /** VmHWM: the high-water mark since start or since the last `resetPeak`. */
  peak: number;
}

export function readResidentMemory(pid: number): ResidentMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { rss: kilobytes("VmRSS"), peak: kilobytes("VmHWM") };
}

/**
 * Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0), so a phase's peak is its
 * own and not the process's lifetime peak. Returns false where that is not allowed; the sampler
 * still catches the peak, at its sampling resolution.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Samples RSS every `intervalMs` in the background; `stop()` returns the highest value seen. */
export class MemorySampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  readonly #peakResettable: boolean;
  #maxRss: number;

  constructor(pid: number, intervalMs = 25) {
    this.#pid = pid;
    this.#peakResettable = resetPeak(pid);
    this.#maxRss = readResidentMemory(pid).rss;
    this.#timer = setInterval(() => {
      try {
        this.#maxRss = Math.max(this.#maxRss, readResidentMemory(this.#pid).rss);
      } catch {
        // The process exited; stop() reports what was seen.
      }
    }, intervalMs);
  }

  stop(): { peak: number; exactPeak: boolean } {
    clearInterval(this.#timer);
    let peak = this.#maxRss;
    try {
      const now = readResidentMemory(this.#pid);
      peak = Math.max(peak, now.rss, this.#peakResettable ? now.peak : 0);
    } catch {
      // Gone: keep the sampled peak.
    }
    return { peak, exactPeak: this.#peakResettable };
  }
}

export function megabytes(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, in ms; resolution is one clock tick (10 ms). */
export function readCpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces, hence the split on ") "): utime is the
  // 12th and stime the 13th of what follows.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every mainstream Linux build (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_SECOND = 100;
