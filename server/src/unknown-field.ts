/**
 * The first key of a request body that is not one of `known`, described for an error, or null.
 * A misspelt or unsupported field must be refused: answering 200 while ignoring it (a PATCH that
 * "changed" a webhook's URL) leaves the caller sure of something that did not happen. `where` names
 * a nested object (`attachments[0]`) in the message.
 */
export function unknownField(
  body: object,
  known: readonly string[] | ReadonlySet<string>,
  where?: string,
): { field: string; message: string } | null {
  const allowed = [...known];
  const field = Object.keys(body).find((key) => !allowed.includes(key));
  if (field === undefined) return null;
  const place = where === undefined ? "" : ` in ${where}`;
  return {
    field,
    message: `Unknown field ${JSON.stringify(field)}${place}; expected some of ${allowed.join(", ")}`,
  };
}
