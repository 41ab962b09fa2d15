import type { RelayStatus, Release } from "@mailnest/protocol";
import { useCallback, useEffect, useState } from "preact/hooks";
import { isApiError } from "../../api/http.js";
import { getRelay, listMessageReleases, releaseMessage } from "../../api/integrations-api.js";
import { DeliveryAttempts, DeliveryStateTag } from "../delivery-attempts.js";

/** How often an open tab refreshes the releases of its message while one is still pending. */
const REFRESH_MS = 2000;

/**
 * Release this message to the server's `--relay` SMTP server (docs/integrations.md): recipients
 * the server's `--relay-allow` patterns admit, byte for byte after trace header fields. Lists the
 * message's releases with every attempt.
 */
export function ReleaseTab({ messageId }: { messageId: string }) {
  const [relay, setRelay] = useState<RelayStatus | null>(null);
  const [releases, setReleases] = useState<Release[]>([]);
  const [recipients, setRecipients] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(() => {
    listMessageReleases(messageId).then(setReleases, () => {});
  }, [messageId]);

  useEffect(() => {
    getRelay().then(setRelay, () => setRelay({ configured: false, url: null, allow: [] }));
    refresh();
  }, [refresh]);

  const pending = releases.some((release) => release.state === "pending");
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [pending, refresh]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const to = recipients
      .split(/[,\s]+/)
      .map((address) => address.trim())
      .filter(Boolean);
    if (to.length === 0) return;
    setBusy(true);
    setProblem(null);
    try {
      await releaseMessage(messageId, to);
      setRecipients("");
      refresh();
    } catch (error) {
      setProblem(isApiError(error) ? error.message.replace(/^.*failed with \d+ \w+: /, "") : String(error));
    } finally {
      setBusy(false);
    }
  };

  if (relay === null) return <p class="tab-message">Loading…</p>;
  return (
    <div class="release-tab">
      {relay.configured ? (
        <form class="release-form" onSubmit={submit}>
          <label for="release-to">
            Release to <span class="muted">(allowed: {relay.allow.join(", ")})</span>
          </label>
          <div class="release-row">
            <input
              id="release-to"
              type="text"
              placeholder="qa@example.com"
              value={recipients}
              onInput={(event) => setRecipients((event.target as HTMLInputElement).value)}
            />
            <button type="submit" class="button" disabled={busy || recipients.trim() === ""}>
              Release
            </button>
          </div>
          <p class="muted">
            Sent through {relay.url}, byte for byte after <code>Resent-*</code> trace fields.
          </p>
          {problem && (
            <p class="form-error" role="alert">
              {problem}
            </p>
          )}
        </form>
      ) : (
        <p class="tab-message">
          No relay is configured. Start Mailnest with <code>--relay smtp://host:port</code> and{" "}
          <code>--relay-allow &lt;pattern&gt;</code> to release captured mail to a real mailbox.
        </p>
      )}
      {releases.length > 0 && (
        <div class="table-scroll">
          <table class="data-table">
            <caption class="visually-hidden">Releases of this message</caption>
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
              </tr>
            </thead>
            <tbody>
              {releases.map((release) => (
                <tr key={release.id}>
                  <td>
                    {release.recipients.join(", ")}
                    {release.source === "rule" && <span class="muted"> (auto-relay)</span>}
                  </td>
                  <td>
                    <DeliveryStateTag {...release} />
                  </td>
                  <td>
                    <DeliveryAttempts attempts={release.attempts} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
