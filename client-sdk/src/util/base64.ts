/** How many bytes go to one `String.fromCharCode` call, which takes them as arguments on the stack. */
const CHUNK = 0x8000;

/** Base64 of bytes with the platform's `btoa` (Node, browsers and edge runtimes alike), not Node's Buffer. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let start = 0; start < bytes.length; start += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(start, start + CHUNK));
  }
  return btoa(binary);
}
