import { apiPaths, DEFAULT_LIMIT, type InboxList, queryString } from "@mailnest/protocol";
import { apiFetch, getJson, sendJson, withToken } from "./http.js";
import type { Health, InboxInfo, ListFilters, MessagePage, MessageSummary, StoredMessage } from "./types.js";

/** Typed calls to the routes of docs/api.md. `inbox: null` means "all mail". */

export function getHealth(): Promise<Health> {
  return getJson<Health>(apiPaths.health());
}

export async function listInboxes(): Promise<InboxInfo[]> {
  return (await getJson<InboxList>(apiPaths.inboxes())).inboxes;
}

export interface PageRequest {
  cursor?: string | null;
  since?: number;
  limit?: number;
  signal?: AbortSignal;
}

export function listMessages(
  inbox: string | null,
  filters: ListFilters,
  page: PageRequest = {},
): Promise<MessagePage> {
  const query = queryString({
    from: filters.from || undefined,
    to: filters.to || undefined,
    subject: filters.subject || undefined,
    text: filters.text || undefined,
    hasAttachment: filters.hasAttachment,
    cursor: page.cursor || undefined,
    since: page.since,
    limit: page.limit ?? DEFAULT_LIMIT,
  });
  const base = inbox === null ? apiPaths.messages() : apiPaths.inboxMessages(inbox);
  return getJson<MessagePage>(`${base}${query}`, page.signal);
}

export function getMessage(id: string, signal?: AbortSignal): Promise<StoredMessage> {
  return getJson<StoredMessage>(apiPaths.message(id), signal);
}

export async function getRawSource(id: string, signal?: AbortSignal): Promise<string> {
  const response = await apiFetch(apiPaths.messageRaw(id), signal ? { signal } : {});
  return response.text();
}

export async function setMessageRead(id: string, read: boolean): Promise<MessageSummary | null> {
  return sendJson<MessageSummary>("PATCH", apiPaths.message(id), { read });
}

export async function deleteMessage(id: string): Promise<void> {
  await sendJson("DELETE", apiPaths.message(id));
}

export async function clearInbox(address: string): Promise<void> {
  await sendJson("DELETE", apiPaths.inboxMessages(address));
}

export async function deleteAllMessages(): Promise<void> {
  await sendJson("DELETE", apiPaths.messages());
}

export async function markInboxRead(address: string, read = true): Promise<void> {
  await sendJson("POST", apiPaths.inboxRead(address), { read });
}

export function attachmentUrl(messageId: string, attachmentId: string): string {
  return withToken(apiPaths.attachment(messageId, attachmentId));
}

export function rawDownloadUrl(messageId: string): string {
  return withToken(`${apiPaths.messageRaw(messageId)}?download=1`);
}

/** An attachment as a `data:` URL, for `cid:` images inside the sandboxed HTML preview. */
export async function fetchAttachmentDataUrl(
  messageId: string,
  attachmentId: string,
  signal?: AbortSignal,
): Promise<string> {
  const response = await apiFetch(apiPaths.attachment(messageId, attachmentId), signal ? { signal } : {});
  const blob = await response.blob();
  return new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the attachment"));
    reader.readAsDataURL(blob);
  });
}
