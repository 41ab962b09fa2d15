import type { JsonSchema, OpenApiDocument, Reference } from "../api/openapi/types.js";

/**
 * Checks of an OpenAPI document against what the routes really answer: `$ref` resolution and a
 * small JSON Schema check, enough to tell whether a response agrees with the document. Used by
 * the document's own test and the peer APIs' (`api/openapi/compat.test.ts`).
 */
export function openApiChecks(document: OpenApiDocument) {
  /** Follows a local `$ref` (`#/components/...`); throws for one that points nowhere. */
  function resolve<T>(value: T | Reference): T {
    if (typeof value !== "object" || value === null || !("$ref" in value)) return value as T;
    const target = value.$ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
    if (target === undefined) throw new Error(`Unresolved $ref ${value.$ref}`);
    return resolve(target as T | Reference);
  }

  /** A small JSON Schema check: enough to tell whether real responses agree with the document. */
  function schemaErrors(schema: JsonSchema, value: unknown, at = "$"): string[] {
    const resolved = resolve<JsonSchema>(schema as JsonSchema | Reference);
    const errors: string[] = [];
    if (resolved.allOf) {
      errors.push(
        ...resolved.allOf.flatMap((part) =>
          schemaErrors({ ...resolve<JsonSchema>(part), additionalProperties: true }, value, at),
        ),
      );
      const known = new Set(
        resolved.allOf.flatMap((part) => Object.keys(resolve<JsonSchema>(part).properties ?? {})),
      );
      if (typeof value === "object" && value !== null) {
        for (const key of Object.keys(value))
          if (!known.has(key)) errors.push(`${at}.${key} is not documented`);
      }
    }
    if (resolved.anyOf && !resolved.anyOf.some((part) => schemaErrors(part, value, at).length === 0)) {
      errors.push(`${at} matches none of anyOf`);
    }
    const types = resolved.type === undefined ? [] : [resolved.type].flat();
    const typeOf = (v: unknown) =>
      v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
    if (
      types.length > 0 &&
      !types.some((t) => t === typeOf(value) || (t === "number" && typeOf(value) === "integer"))
    ) {
      return [...errors, `${at} is ${typeOf(value)}, expected ${types.join("|")}`];
    }
    if (resolved.enum && !resolved.enum.includes(value as string))
      errors.push(`${at} = ${String(value)} not in enum`);
    if (resolved.const !== undefined && value !== resolved.const)
      errors.push(`${at} is not ${resolved.const}`);
    if (resolved.pattern && typeof value === "string" && !new RegExp(resolved.pattern).test(value)) {
      errors.push(`${at} does not match ${resolved.pattern}`);
    }
    if (resolved.items && Array.isArray(value)) {
      const items = resolved.items;
      errors.push(...value.flatMap((item, i) => schemaErrors(items, item, `${at}[${i}]`)));
    }
    if (resolved.properties && typeof value === "object" && value !== null && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      for (const key of resolved.required ?? []) if (!(key in record)) errors.push(`${at}.${key} is missing`);
      for (const [key, item] of Object.entries(record)) {
        const property = resolved.properties[key];
        if (property) errors.push(...schemaErrors(property, item, `${at}.${key}`));
        else if (resolved.additionalProperties !== true) errors.push(`${at}.${key} is not documented`);
      }
    }
    return errors;
  }

  function responseSchema(path: string, method: string, status: string): JsonSchema {
    const operation = document.paths[path]?.[method as "get"];
    const response = resolve(operation?.responses[status] ?? { $ref: "#/missing" });
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) throw new Error(`No JSON schema for ${method} ${path} ${status}`);
    return schema;
  }

  return { resolve, schemaErrors, responseSchema };
}
