/**
 * A read of shared state that callers ask for again and again (a notification, a reconnect, a change
 * made here): calls while a read runs share one read that starts after it, so a caller always gets a
 * read that began after it asked, and a burst of notifications costs two reads, not one each.
 */
export function rereader(read: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const again = (): Promise<void> => {
    if (queued) return queued;
    if (running) {
      queued = running.then(() => {
        queued = null;
        return again();
      });
      return queued;
    }
    running = read().finally(() => {
      running = null;
    });
    return running;
  };
  return again;
}
