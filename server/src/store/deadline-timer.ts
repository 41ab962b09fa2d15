// setTimeout's limit; a later deadline is re-armed when this one fires.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * One timer for the store's housekeeping (age retention, inbox TTLs): armed for the earliest deadline
 * anyone asked for, `unref`'d so it never keeps the process alive, cleared on close.
 */
export class DeadlineTimer {
  readonly #run: () => void;
  #timer: NodeJS.Timeout | null = null;
  #at: number | null = null;
  #stopped = false;

  constructor(run: () => void) {
    this.#run = run;
  }

  /** Arms the timer for `at` (ms since epoch) unless it is already armed for an earlier time. */
  schedule(at: number | null): void {
    if (at === null || this.#stopped) return;
    if (this.#at !== null && this.#at <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#at = null;
        this.#run();
      },
      Math.min(Math.max(at - Date.now(), 0), MAX_DELAY_MS),
    );
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#at = null;
  }
}
