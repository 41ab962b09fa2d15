import type { AttachmentMeta } from "@mailnest/protocol";

/** An attachment's metadata; the content is fetched only when asked for. */
export class Attachment {
  /** Server-assigned ("a1", "a2", …), never derived from the filename. */
  readonly id: string;
  readonly filename: string | null;
  readonly contentType: string;
  /** Decoded size in bytes. */
  readonly size: number;
  /** sha256 (hex) of the decoded content. */
  readonly sha256: string;
  /** Without the angle brackets; what `cid:` URLs in the HTML refer to. */
  readonly contentId: string | null;
  readonly disposition: "inline" | "attachment";
  readonly #load: () => Promise<Uint8Array>;

  /** @internal Built by `Message`. */
  constructor(meta: AttachmentMeta, load: () => Promise<Uint8Array>) {
    this.id = meta.id;
    this.filename = meta.filename;
    this.contentType = meta.contentType;
    this.size = meta.size;
    this.sha256 = meta.sha256;
    this.contentId = meta.contentId;
    this.disposition = meta.disposition;
    this.#load = load;
  }

  /** The decoded bytes. Each call asks the server again. */
  content(): Promise<Uint8Array> {
    return this.#load();
  }

  /**
   * The content decoded as text: UTF-8 unless `encoding` names another of the WHATWG Encoding
   * Standard (what `TextDecoder` takes: "utf-16le", "iso-8859-2", "shift_jis"…).
   */
  async text(encoding = "utf-8"): Promise<string> {
    return new TextDecoder(encoding).decode(await this.#load());
  }

  toString(): string {
    return `${JSON.stringify(this.filename ?? "(unnamed)")} ${this.contentType}, ${this.size} bytes`;
  }

  toJSON(): AttachmentMeta {
    const { id, filename, contentType, size, sha256, contentId, disposition } = this;
    return { id, filename, contentType, size, sha256, contentId, disposition };
  }
}
