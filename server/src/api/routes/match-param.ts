import {
  InvalidFilterError,
  MAX_MATCH_LENGTH,
  parseWireFilter,
  TEXT_FIELDS,
  type WireFilter,
  type WireTextMatcher,
} from "@mailnest/protocol";
import { compileLinearRegex, UnsupportedPatternError } from "../../store/linear-regex.js";
import { InvalidParameterError, MappedError } from "../http/errors.js";

/**
 * The `match` query parameter: a `WireFilter` as JSON (docs/api.md, "Filters"). Validated here,
 * and every pattern compiled once on RE2, so a malformed filter is a 400 naming the part
 * (`match.header[0].name`) and a pattern RE2 cannot run (lookaround, backreferences) is a
 * `400 unsupported_pattern` naming it, which the SDK answers by checking that part itself.
 */
export function parseMatchParam(value: string): WireFilter {
  if (value.length > MAX_MATCH_LENGTH) {
    throw InvalidParameterError.expected("match", `JSON of at most ${MAX_MATCH_LENGTH} characters`, value);
  }
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw InvalidParameterError.expected(
      "match",
      'a JSON filter such as {"subject":{"regex":"^Welcome"}}',
      value,
    );
  }
  let filter: WireFilter;
  try {
    filter = parseWireFilter(json);
  } catch (error) {
    if (!(error instanceof InvalidFilterError)) throw error;
    const parameter = error.field.startsWith("match") ? error.field : `match.${error.field}`;
    throw new InvalidParameterError(parameter, error.message);
  }
  for (const [path, matcher] of matchers(filter)) {
    if (!("regex" in matcher)) continue;
    try {
      compileLinearRegex(matcher.regex, matcher.flags ?? "");
    } catch (error) {
      if (!(error instanceof UnsupportedPatternError)) throw error;
      throw new MappedError("unsupported_pattern", error.message, { parameter: `match.${path}` });
    }
  }
  return filter;
}

/** Every text matcher of a filter, with where it sits. */
function* matchers(filter: WireFilter): Generator<[string, WireTextMatcher]> {
  for (const field of TEXT_FIELDS) {
    const matcher = filter[field];
    if (matcher !== undefined) yield [field, matcher];
  }
  for (const [index, header] of (filter.header ?? []).entries()) {
    if (header.value !== undefined) yield [`header[${index}].value`, header.value];
  }
  if (filter.attachment?.filename) yield ["attachment.filename", filter.attachment.filename];
  if (filter.attachment?.contentType) yield ["attachment.contentType", filter.attachment.contentType];
}
