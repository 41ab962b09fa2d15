import { attachmentUrl } from "../../api/mailnest-api.js";
import type { AttachmentMeta } from "../../api/types.js";
import { formatSize } from "../../state/format.js";
import { DownloadIcon } from "../icons.js";

export function AttachmentsTab({
  messageId,
  attachments,
}: {
  messageId: string;
  attachments: AttachmentMeta[];
}) {
  if (attachments.length === 0) return <p class="tab-message">This message has no attachments.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table attachments-table">
        <caption class="visually-hidden">Attachments</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col" class="numeric">
              Size
            </th>
            <th scope="col">
              <span class="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {attachments.map((attachment) => (
            <tr key={attachment.id}>
              <td class="attachment-name">
                {attachment.filename ?? <span class="muted">(unnamed)</span>}
                {attachment.disposition === "inline" && <span class="tag">inline</span>}
                {attachment.contentId && <span class="attachment-cid">cid:{attachment.contentId}</span>}
              </td>
              <td>
                <code>{attachment.contentType}</code>
              </td>
              <td class="numeric">{formatSize(attachment.size)}</td>
              <td>
                {/* The server names the file (Content-Disposition); `download` keeps the browser from navigating. */}
                <a
                  class="button small"
                  href={attachmentUrl(messageId, attachment.id)}
                  download={attachment.filename ?? ""}
                  aria-label={`Download ${attachment.filename ?? "attachment"}`}
                >
                  <DownloadIcon /> Download
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
