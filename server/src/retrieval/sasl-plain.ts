/**
 * SASL PLAIN (RFC 4616): base64 of `authzid NUL authcid NUL password`. The authorization identity,
 * when given, must be the user itself (no one acts for another here). Null when malformed.
 */
export function decodeSaslPlain(base64: string): { user: string; password: string } | null {
  if (base64 === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return null;
  const fields = Buffer.from(base64, "base64").toString("utf8").split("\x00");
  if (fields.length !== 3) return null;
  const [authzid, user, password] = fields as [string, string, string];
  if (user === "" || (authzid !== "" && authzid !== user)) return null;
  return { user, password };
}
