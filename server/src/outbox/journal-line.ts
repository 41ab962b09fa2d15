import { crc32 } from "node:zlib";

/**
 * One journal record per line: `<crc32 of the JSON, 8 hex digits> <JSON>\n`. JSON never contains a
 * raw newline, so lines split cleanly; the checksum tells a torn or damaged tail from a record.
 */
export function encodeLine(record: unknown): string {
  const json = JSON.stringify(record);
  return `${checksum(json)} ${json}\n`;
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
    const record = decodeLine(bytes.subarray(offset, end).toString("utf8"));
    if (record === undefined) break;
    records.push(record);
    offset = end + 1;
  }
  return { records, validLength: offset };
}

function decodeLine(line: string): unknown {
  if (line.length < 10 || line[8] !== " ") return undefined;
  const json = line.slice(9);
  if (checksum(json) !== line.slice(0, 8)) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function checksum(json: string): string {
  return crc32(Buffer.from(json, "utf8")).toString(16).padStart(8, "0");
}
