/**
 * Runs an async task at most once at a time: calls to `schedule()` during the delay or while it runs
 * collapse into one more run afterwards. A burst of 1,000 WebSocket events costs a handful of
 * requests, and no event is lost: a run always starts after the last `schedule()`.
 */
export class CoalescedTask {
  readonly #run: () => Promise<void>;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running = false;
  #again = false;
  #disposed = false;

  constructor(run: () => Promise<void>, delayMs: number) {
    this.#run = run;
    this.#delayMs = delayMs;
  }

  /** `delayMs` overrides the default once, e.g. 0 for the first load. */
  schedule(delayMs = this.#delayMs): void {
    if (this.#disposed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      void this.#execute();
    }, delayMs);
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #execute(): Promise<void> {
    this.#running = true;
    try {
      await this.#run();
    } catch (error) {
      console.warn("mailnest: background refresh failed", error);
    } finally {
      this.#running = false;
      if (this.#again) {
        this.#again = false;
        this.schedule();
      }
    }
  }
}
