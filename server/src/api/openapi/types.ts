/**
 * The subset of OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.0) that `document.ts` uses, typed
 * so a misspelt key is a compile error rather than a silently ignored field.
 */

/** JSON Schema 2020-12, as far as this document needs it. */
export interface JsonSchema {
  $ref?: string;
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: (string | number | boolean | null)[];
  const?: string | number | boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  default?: unknown;
  examples?: unknown[];
}

export type JsonType = "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";

export interface Reference {
  $ref: string;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  description: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface MediaType {
  schema: JsonSchema;
}

export interface RequestBody {
  description?: string;
  required?: boolean;
  content: Record<string, MediaType>;
}

export interface Header {
  description: string;
  schema: JsonSchema;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, MediaType>;
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (Parameter | Reference)[];
  requestBody?: RequestBody;
  responses: Record<string, ResponseObject | Reference>;
  security?: Record<string, string[]>[];
}

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";
export type PathItem = Partial<Record<HttpMethod, Operation>>;

export interface SecurityScheme {
  type: "http" | "apiKey";
  description: string;
  scheme?: string;
  name?: string;
  in?: "query" | "header";
}

export interface OpenApiDocument {
  openapi: `3.1.${number}`;
  info: {
    title: string;
    version: string;
    description: string;
    license: { name: string; identifier: string };
  };
  servers?: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, Parameter>;
    responses: Record<string, ResponseObject>;
    securitySchemes: Record<string, SecurityScheme>;
  };
  security: Record<string, string[]>[];
}
