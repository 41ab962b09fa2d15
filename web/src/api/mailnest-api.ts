import { apiFetch, getJson, sendJson, withToken } from "./http.js";
import type { Health, InboxInfo, ListFilters, MessagePage, MessageSummary, StoredMessage } from "./types.js";

/** Typed calls to the routes of docs/api.md. `inbox: null` means "all mail". */

const enc = encodeURIComponent;

export function getHealth(): Promise<Health> {
  return getJson<Health>("/api/health");
}

export async function listInboxes(): Promise<InboxInfo[]> {
  return (await getJson<{ inboxes: InboxInfo[] }>("/api/inboxes")).inboxes;
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
  const params = new URLSearchParams();
  for (const key of ["from", "to", "subject", "text"] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (filters.hasAttachment !== undefined) params.set("hasAttachment", String(filters.hasAttachment));
  if (page.cursor) params.set("cursor", page.cursor);
  if (page.since !== undefined) params.set("since", String(page.since));
  params.set("limit", String(page.limit ?? 50));
  const base = inbox === null ? "/api/messages" : `/api/inboxes/${enc(inbox)}/messages`;
  return getJson<MessagePage>(`${base}?${params}`, page.signal);
}

export function getMessage(id: string, signal?: AbortSignal): Promise<StoredMessage> {
  return getJson<StoredMessage>(`/api/messages/${enc(id)}`, signal);
}

export async function getRawSource(id: string, signal?: AbortSignal): Promise<string> {
  const response = await apiFetch(`/api/messages/${enc(id)}/raw`, signal ? { signal } : {});
  return response.text();
}

export async function setMessageRead(id: string, read: boolean): Promise<MessageSummary | null> {
  return sendJson<MessageSummary>("PATCH", `/api/messages/${enc(id)}`, { read });
}

export async function deleteMessage(id: string): Promise<void> {
  await sendJson("DELETE", `/api/messages/${enc(id)}`);
}

export async function clearInbox(address: string): Promise<void> {
  await sendJson("DELETE", `/api/inboxes/${enc(address)}/messages`);
}

export async function deleteAllMessages(): Promise<void> {
  await sendJson("DELETE", "/api/messages");
}

export async function markInboxRead(address: string, read = true): Promise<void> {
  await sendJson("POST", `/api/inboxes/${enc(address)}/read`, { read });
}

export function attachmentUrl(messageId: string, attachmentId: string): string {
  return withToken(`/api/messages/${enc(messageId)}/attachments/${enc(attachmentId)}`);
}

export function rawDownloadUrl(messageId: string): string {
  return withToken(`/api/messages/${enc(messageId)}/raw?download=1`);
}

/** An attachment as a `data:` URL, for `cid:` images inside the sandboxed HTML preview. */
export async function fetchAttachmentDataUrl(
  messageId: string,
  attachmentId: string,
  signal?: AbortSignal,
): Promise<string> {
  const response = await apiFetch(
    `/api/messages/${enc(messageId)}/attachments/${enc(attachmentId)}`,
    signal ? { signal } : {},
  );
  const blob = await response.blob();
  return new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("could not read the attachment"));
    reader.readAsDataURL(blob);
  });
}
