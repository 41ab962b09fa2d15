/**
 * Address patterns of rules (`old-*@app.test`): `*` stands for any run of characters (none
 * included), `?` for exactly one, everything else for itself. Compared with a normalized address
 * (`normalizeAddress`), so matching is as case-insensitive as inboxes are.
 *
 * Matched by a linear-time wildcard walk, not a RegExp: a pattern from an API body with many stars
 * must not cost exponential backtracking (`*a*a*a*…b`).
 */
export function matchesAddressPattern(pattern: string, address: string): boolean {
  let p = 0;
  let a = 0;
  // Where the last star was, and the address position it is currently standing in for up to.
  let star = -1;
  let resume = 0;
  while (a < address.length) {
    const token = pattern[p];
    if (token === "?" || (token !== undefined && token !== "*" && token === address[a])) {
      p++;
      a++;
    } else if (token === "*") {
      star = p++;
      resume = a;
    } else if (star >= 0) {
      // Let the last star take one more character and try the rest again.
      p = star + 1;
      a = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
