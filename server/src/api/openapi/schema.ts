import wireSchemaJson from "@mailnest/protocol/schemas.json" with { type: "json" };
import type { JsonSchema, Parameter, Reference, ResponseObject } from "./types.js";

/** Small builders shared by the parts of the OpenAPI document (`document.ts`, `faults.ts`). */

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

/**
 * The wire types' schemas, generated from the protocol package's TypeScript source at its build
 * (`protocol/scripts/generate-schemas.mjs`): the document's `components.schemas`, never written by hand.
 */
export const wireSchemas = wireSchemaJson as unknown as Record<string, JsonSchema>;

/** One wire type's schema; throws at startup (and in tests) for a name the protocol does not export. */
export function wireSchema(name: string): JsonSchema {
  const schema = wireSchemas[name];
  if (schema === undefined) throw new Error(`@mailnest/protocol exports no type ${name}`);
  return schema;
}

/** An object schema without some of its properties (a route that takes them from its path instead). */
export function omitProperties(schema: JsonSchema, names: readonly string[]): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).filter(([name]) => !names.includes(name)),
  );
  const required = (schema.required ?? []).filter((name) => !names.includes(name));
  return { ...schema, properties, required };
}

/**
 * The body of a rule route (faults, reports): the wire type as it is for the global route, without
 * `inbox`/`to` for the inbox route, which takes the inbox from its path.
 */
export function ruleBody(typeName: string, withInbox: boolean) {
  return {
    required: true,
    content: {
      "application/json": {
        schema: withInbox ? ref(typeName) : omitProperties(wireSchema(typeName), ["inbox", "to"]),
      },
    },
  };
}

/** A query parameter documented by a property of a wire type (`ListParams`, `WaitParams`). */
export function queryParameter(source: string, name: string, extra: JsonSchema = {}): Parameter {
  const property = wireSchema(source).properties?.[name];
  if (property === undefined) throw new Error(`${source} has no property ${name}`);
  const { description, ...schema } = property;
  return { name, in: "query", description: description ?? name, schema: { ...schema, ...extra } };
}
