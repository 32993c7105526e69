import { api } from "./api";

/** The served OpenAPI document, read once per test file, and values built from its schemas. */

export type Json = Record<string, unknown>;
export interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Json;
}
export interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  security?: Record<string, unknown>[];
  tags?: string[];
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
export interface Document {
  components: { schemas: Record<string, Json> };
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ["get", "put", "post", "delete", "patch"];
export const DOC_ID = "https://edgegram.test/openapi.json";

export const doc = (await (await api("GET", "/openapi.json")).json()) as Document;
export const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.flatMap((method) => {
    const op = item[method];
    return op ? [{ method, path, op, name: `${method.toUpperCase()} ${path}` }] : [];
  }),
);

const resolve = (schema: Json | undefined): Json => {
  const ref = schema?.$ref;
  if (typeof ref === "string") return resolve(doc.components.schemas[ref.split("/").pop() ?? ""]);
  return schema ?? {};
};

/** A value the schema probably accepts: an example, a default, an enum's first member, else a small one. */
export function sample(schemaIn: Json | undefined, depth = 0): unknown {
  const schema = resolve(schemaIn);
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0) return sample(list[0] as Json, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" || schema.properties) {
    if (depth > 4) return {};
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const props = (schema.properties ?? {}) as Record<string, Json>;
    return Object.fromEntries(
      Object.entries(props)
        .filter(([key]) => required.has(key))
        .map(([key, value]) => [key, sample(value, depth + 1)]),
    );
  }
  if (type === "array") return [];
  if (type === "integer" || type === "number") return typeof schema.minimum === "number" ? schema.minimum : 1;
  if (type === "boolean") return true;
  if (type === "null") return null;
  const min = typeof schema.minLength === "number" ? schema.minLength : 1;
  return "a".repeat(Math.max(min, 1));
}
