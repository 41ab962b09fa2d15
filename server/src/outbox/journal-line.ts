import { crc32 } from "node:zlib";

/**
 * One journal record per line: `<crc32 of the JSON, 8 hex digits> <JSON>\n`. JSON never contains a
 * raw newline, so lines split cleanly; the checksum tells a torn or damaged tail from a record.
 * The line is encoded to UTF-8 once and the checksum taken over its JSON part in place (a webhook
 * endpoint makes one record per message stored, a kilobyte or two each).
 */
export function encodeLine(record: unknown): Buffer {
  const line = Buffer.from(`00000000 ${JSON.stringify(record)}\n`, "utf8");
  line.write(checksumOf(line.subarray(9, line.length - 1)), 0, "latin1");
  return line;
}

export interface DecodedLines {
  records: unknown[];
  /** Bytes up to the end of the last intact line; anything after it is a torn or damaged tail. */
  validLength: number;
}

/** Reads lines until the end or the first one that is incomplete, mis-framed or fails its checksum. */
export function decodeLines(bytes: Buffer): DecodedLines {
  const records: unknown[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(0x0a, offset);
    if (end === -1) break;
    const record = decodeLine(bytes.subarray(offset, end));
    if (record === undefined) break;
    records.push(record);
    offset = end + 1;
  }
  return { records, validLength: offset };
}

function decodeLine(line: Buffer): unknown {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const json = line.subarray(9);
  if (checksumOf(json) !== line.toString("latin1", 0, 8)) return undefined;
  try {
    return JSON.parse(json.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

function checksumOf(json: Buffer): string {
  return crc32(json).toString(16).padStart(8, "0");
}
