import type { JsonSchema, Reference, ResponseObject } from "./openapi-types.js";

/** Small builders shared by the parts of the OpenAPI document (`openapi.ts`, `openapi-faults.ts`). */

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
export const param = (name: string): Reference => ({ $ref: `#/components/parameters/${name}` });
export const response = (name: string): Reference => ({ $ref: `#/components/responses/${name}` });
export const json = (schema: JsonSchema, description: string): ResponseObject => ({
  description,
  content: { "application/json": { schema } },
});
export const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] });
/** An object schema whose properties are all required. */
export const object = (properties: Record<string, JsonSchema>, description?: string): JsonSchema => ({
  type: "object",
  ...(description === undefined ? {} : { description }),
  properties,
  required: Object.keys(properties),
});
export const string: JsonSchema = { type: "string" };
export const dateTime: JsonSchema = { type: "string", format: "date-time" };

/** Errors every authenticated route can answer. */
export const commonErrors = { "401": response("Unauthorized"), "403": response("Forbidden") };
/** Errors every route with a JSON body can answer. */
export const bodyErrors = {
  "413": response("PayloadTooLarge"),
  "415": response("UnsupportedMediaType"),
};
