/**
 * The first key of a request body that is not one of `known`, described for an error, or null.
 * A misspelt or unsupported field must be refused: answering 200 while ignoring it (a PATCH that
 * "changed" a webhook's URL) leaves the caller sure of something that did not happen.
 */
export function unknownField(
  body: object,
  known: readonly string[],
): { field: string; message: string } | null {
  const field = Object.keys(body).find((key) => !known.includes(key));
  if (field === undefined) return null;
  return { field, message: `Unknown field ${JSON.stringify(field)}; expected some of ${known.join(", ")}` };
}
