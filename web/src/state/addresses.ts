/**
 * Inbox addresses from the URL may differ in case from the server's normalized form; the server
 * normalizes what it is sent, and the viewer only needs to recognise the same inbox.
 */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
