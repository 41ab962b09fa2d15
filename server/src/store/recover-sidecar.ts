import { normalizeAddress } from "@mailnest/protocol";
import type { BlobStore } from "./blob-store.js";
import type { IndexedSummary, MessageParser } from "./message-store.js";
import type { Envelope } from "./model.js";
import { needsReparse, type Sidecar } from "./sidecar.js";

/**
 * Rebuilds the sidecar of a committed `.eml` whose sidecar is missing or unreadable. The parsed view
 * comes back from the bytes; the SMTP envelope cannot, so it is approximated from the headers
 * (MAIL FROM from From, RCPT TO from To/Cc/Bcc, received now) and the inboxes follow from that.
 */
export async function recoverSidecar(
  blobs: BlobStore,
  parser: MessageParser,
  id: string,
  sequence: number,
  raw: { size: number; sha256: string },
  receivedAt: string,
): Promise<Sidecar | null> {
  const stream = await blobs.readRaw(id);
  if (stream === null) return null;
  const view = await parser.parse(stream);
  const rcptTo = [...view.to, ...view.cc, ...view.bcc].map((address) => address.address).filter(Boolean);
  const envelope: Envelope = {
    mailFrom: view.from[0]?.address ?? "",
    rcptTo,
    remoteAddress: "",
    heloName: "",
    authUser: null,
    tls: null,
    receivedAt,
  };
  return {
    version: 1,
    id,
    sequence,
    inboxes: inboxesFor(rcptTo),
    envelope,
    size: raw.size,
    sha256: raw.sha256,
    view,
  };
}

/** One inbox per distinct normalized recipient, in RCPT TO order. */
export function inboxesFor(recipients: readonly string[]): string[] {
  return [...new Set(recipients.map(normalizeAddress).filter((address) => address !== ""))];
}

/**
 * For an indexed message whose sidecar vanished while running: re-parses the `.eml`, keeps what the
 * index still knows (sequence, inboxes, envelope addresses), and writes the sidecar back.
 */
export async function repairSidecar(
  blobs: BlobStore,
  parser: MessageParser,
  summary: IndexedSummary,
): Promise<Sidecar | null> {
  const recovered = await recoverSidecar(
    blobs,
    parser,
    summary.id,
    summary.sequence,
    summary,
    summary.receivedAt,
  );
  if (recovered === null) return null;
  const repaired: Sidecar = {
    ...recovered,
    inboxes: summary.inboxes,
    envelope: {
      ...recovered.envelope,
      mailFrom: summary.mailFrom,
      rcptTo: summary.rcptTo,
      authUser: summary.authUser,
    },
  };
  await blobs.writeSidecar(repaired).catch(() => {});
  return repaired;
}

/**
 * The sidecar of an indexed message, as it is served: rebuilt from the `.eml` when it went missing
 * since startup, its view re-parsed when it predates `visibleText` (`needsReparse`), and written
 * back; unless the message was deleted meanwhile (`stillIndexed` says no).
 */
export async function readServedSidecar(
  blobs: BlobStore,
  parser: MessageParser,
  summary: IndexedSummary,
  stillIndexed: () => boolean,
): Promise<Sidecar | null> {
  const sidecar = await blobs.readSidecar(summary.id);
  if ((sidecar !== null && !needsReparse(sidecar)) || !stillIndexed()) return sidecar;
  return sidecar === null ? repairSidecar(blobs, parser, summary) : reparseView(blobs, parser, sidecar);
}

/**
 * A 0.1 sidecar: only the parsed view is out of date. The envelope (client address, HELO name, TLS)
 * is not in the `.eml` and stays as recorded; null when the `.eml` is gone.
 */
async function reparseView(
  blobs: BlobStore,
  parser: MessageParser,
  sidecar: Sidecar,
): Promise<Sidecar | null> {
  const stream = await blobs.readRaw(sidecar.id);
  if (stream === null) return null;
  const upgraded: Sidecar = { ...sidecar, view: await parser.parse(stream) };
  await blobs.writeSidecar(upgraded).catch(() => {});
  return upgraded;
}
