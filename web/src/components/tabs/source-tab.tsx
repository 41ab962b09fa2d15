import { useEffect, useMemo, useState } from "preact/hooks";
import { withToken } from "../../api/http.js";
import { getRawSource, rawDownloadUrl } from "../../api/mailnest-api.js";
import { splitRawSource } from "../../render/raw-source.js";
import { formatSize } from "../../state/format.js";
import { DownloadIcon } from "../icons.js";

/** Beyond this the source is cut for display (the download has everything). */
const MAX_SHOWN_CHARS = 1_000_000;

type RawState =
  | { status: "loading" }
  | { status: "ready"; raw: string }
  | { status: "error"; error: unknown };

/** The message exactly as received, with the header block highlighted (rendered as text, never as HTML). */
export function SourceTab({ messageId, size }: { messageId: string; size: number }) {
  const [state, setState] = useState<RawState>({ status: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: "loading" });
    getRawSource(messageId, controller.signal).then(
      (raw) => setState({ status: "ready", raw }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ status: "error", error });
      },
    );
    return () => controller.abort();
  }, [messageId]);

  const shown = state.status === "ready" ? state.raw.slice(0, MAX_SHOWN_CHARS) : "";
  const parts = useMemo(() => splitRawSource(shown), [shown]);

  return (
    <div class="source-tab">
      <div class="tab-toolbar">
        <span class="muted">{formatSize(size)} as received</span>
        <a
          class="button small"
          href={withToken(`/api/messages/${encodeURIComponent(messageId)}/raw`)}
          target="_blank"
          rel="noopener"
        >
          Open raw
        </a>
        <a class="button small" href={rawDownloadUrl(messageId)} download={`${messageId}.eml`}>
          <DownloadIcon /> Download .eml
        </a>
      </div>
      {state.status === "loading" && <p class="tab-message">Loading source…</p>}
      {state.status === "error" && (
        <p class="tab-message" role="alert">
          Could not load the source:{" "}
          {state.error instanceof Error ? state.error.message : String(state.error)}
        </p>
      )}
      {state.status === "ready" && (
        <pre class="source">
          {parts.headers.map((header, index) => (
            <span key={index} class="hl-field">
              <span class="hl-name">{header.name}</span>
              <span class="hl-colon">:</span>
              <span class="hl-value">{header.value}</span>
            </span>
          ))}
          <span class="hl-body">{parts.body}</span>
        </pre>
      )}
      {state.status === "ready" && state.raw.length > MAX_SHOWN_CHARS && (
        <p class="tab-message">The source is longer than shown here; download it to see all of it.</p>
      )}
    </div>
  );
}
