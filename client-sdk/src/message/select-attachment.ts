import type { AttachmentFilter } from "../filter/attachment-filter.js";
import {
  compileTextMatcher,
  isTextMatcher,
  TEXT_MATCHER_EXPECTATION,
  type TextMatcher,
} from "../filter/text-matcher.js";
import { describeValue } from "../util/describe.js";
import type { Attachment } from "./attachment.js";

export interface AttachmentSelector {
  test(attachment: Attachment): boolean;
  /** `filename /\.pdf$/, contentType "pdf"`; "" when any attachment will do. */
  description: string;
}

/** A filename matcher, or `{ filename?, contentType? }` (all given parts must hold). `caller` names the API in errors. */
export function compileAttachmentSelector(
  filter: TextMatcher | AttachmentFilter | undefined,
  caller: string,
): AttachmentSelector {
  if (filter === undefined) return { test: () => true, description: "" };
  const normalized = isTextMatcher(filter) ? { filename: filter } : filter;
  if (
    typeof normalized !== "object" ||
    normalized === null ||
    normalized instanceof RegExp ||
    Array.isArray(normalized)
  ) {
    throw new TypeError(
      `${caller} expects a filename matcher or { filename?, contentType? }; got ${describeValue(filter)}`,
    );
  }
  const parts: Array<{ description: string; test: (attachment: Attachment) => boolean }> = [];
  for (const key of Object.keys(normalized)) {
    if (key !== "filename" && key !== "contentType") {
      throw new TypeError(`Unknown ${caller} key "${key}"; expected filename or contentType`);
    }
    const value: unknown = normalized[key];
    if (value === undefined) continue;
    if (!isTextMatcher(value)) {
      throw new TypeError(
        `${caller} expects ${key} to be ${TEXT_MATCHER_EXPECTATION}; got ${describeValue(value)}`,
      );
    }
    const matcher = compileTextMatcher(value);
    parts.push({
      description: `${key} ${matcher.description}`,
      test: (attachment) => {
        const actual = attachment[key];
        return actual !== null && matcher.test(actual);
      },
    });
  }
  return {
    test: (attachment) => parts.every((part) => part.test(attachment)),
    description: parts.map((part) => part.description).join(", "),
  };
}
