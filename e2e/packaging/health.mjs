/**
 * Resolves once `<url>/api/health` answers 200. Rejects when `timeoutMs` has passed, or at once when
 * `exited()` says the server's process is gone: it returns how it ended, or null while it runs.
 */
export async function untilHealthy(url, { timeoutMs, intervalMs = 50, exited = () => null }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ended = exited();
    if (ended !== null) throw new Error(`the server exited (${ended}) before ${url}/api/health answered`);
    if (Date.now() > deadline) throw new Error(`${url}/api/health did not answer within ${timeoutMs} ms`);
    const answered = await fetch(`${url}/api/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
