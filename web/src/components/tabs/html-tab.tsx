import { useEffect, useMemo, useState } from "preact/hooks";
import { fetchAttachmentDataUrl } from "../../api/mailnest-api.js";
import type { StoredMessage } from "../../api/types.js";
import { prepareHtml, referencedContentIds } from "../../render/prepare-html.js";
import { ShieldIcon } from "../icons.js";

const WIDTHS = [
  { id: "mobile", label: "Mobile", width: "375px" },
  { id: "tablet", label: "Tablet", width: "768px" },
  { id: "desktop", label: "Desktop", width: "100%" },
] as const;
type PreviewWidth = (typeof WIDTHS)[number]["id"];

/** Inline parts bigger than this are not turned into data: URLs (they would bloat the srcdoc). */
const MAX_INLINE_BYTES = 8 * 1024 * 1024;

interface HtmlTabProps {
  message: StoredMessage & { html: string };
  remoteAllowed: boolean;
  onAllowRemote(): void;
}

/**
 * The HTML body in a sandboxed iframe: no scripts, an opaque origin, a CSP that blocks remote
 * content until the user allows it for this message. See render/prepare-html.ts and docs/web.md.
 */
export function HtmlTab({ message, remoteAllowed, onAllowRemote }: HtmlTabProps) {
  const [width, setWidth] = useState<PreviewWidth>("desktop");
  const inlineParts = useInlineParts(message);
  const prepared = useMemo(
    () => (inlineParts ? prepareHtml(message.html, { allowRemote: remoteAllowed, inlineParts }) : null),
    [message.html, inlineParts, remoteAllowed],
  );
  const frameWidth = WIDTHS.find((option) => option.id === width)?.width ?? "100%";

  return (
    <div class="html-tab">
      <div class="preview-toolbar">
        <fieldset class="segmented">
          <legend class="visually-hidden">Preview width</legend>
          {WIDTHS.map((option) => (
            <button
              key={option.id}
              type="button"
              class="segment"
              aria-pressed={width === option.id}
              onClick={() => setWidth(option.id)}
            >
              {option.label}
            </button>
          ))}
        </fieldset>
        {prepared && prepared.remoteResources > 0 && (
          <div class={`remote-notice${remoteAllowed ? " allowed" : ""}`} role="status">
            <ShieldIcon />
            {remoteAllowed ? (
              <span>Remote content loaded</span>
            ) : (
              <>
                <span>
                  {prepared.remoteResources} remote{" "}
                  {prepared.remoteResources === 1 ? "resource" : "resources"} blocked
                </span>
                <button type="button" class="button small" onClick={onAllowRemote}>
                  Load remote content
                </button>
              </>
            )}
          </div>
        )}
      </div>
      <div class="preview-stage">
        {prepared ? (
          // `sandbox` comes before `srcdoc` and the frame is re-created (key) for each document, so
          // the sandbox flags are in force before the first byte of mail is parsed.
          <iframe
            key={`${message.id}:${remoteAllowed}`}
            class="preview-frame"
            title={`HTML body of “${message.subject || "(no subject)"}”`}
            sandbox="allow-popups allow-popups-to-escape-sandbox"
            referrerpolicy="no-referrer"
            srcdoc={prepared.srcdoc}
            style={{ width: frameWidth }}
          />
        ) : (
          <p class="tab-message">Loading inline images…</p>
        )}
      </div>
    </div>
  );
}

/** `cid:` parts referenced by the HTML, fetched from the API as data: URLs (null while loading). */
function useInlineParts(message: StoredMessage & { html: string }): ReadonlyMap<string, string> | null {
  const [parts, setParts] = useState<ReadonlyMap<string, string> | null>(null);
  useEffect(() => {
    const wanted = referencedContentIds(message.html);
    const attachments = message.attachments.filter(
      (attachment) =>
        attachment.contentId !== null &&
        wanted.has(attachment.contentId.toLowerCase()) &&
        attachment.size <= MAX_INLINE_BYTES,
    );
    if (attachments.length === 0) {
      setParts(new Map());
      return;
    }
    setParts(null);
    const controller = new AbortController();
    void Promise.all(
      attachments.map(async (attachment) => {
        try {
          const url = await fetchAttachmentDataUrl(message.id, attachment.id, controller.signal);
          return [attachment.contentId!.toLowerCase(), url] as const;
        } catch {
          return null; // a part that cannot be fetched shows as a broken image, not a broken preview
        }
      }),
    ).then((entries) => {
      if (controller.signal.aborted) return;
      setParts(new Map(entries.filter((entry) => entry !== null)));
    });
    return () => controller.abort();
  }, [message.id, message.html, message.attachments]);
  return parts;
}
