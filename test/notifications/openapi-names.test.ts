import { describe, expect, it } from "vitest";
import { doc, type Json } from "../helpers/openapi";

const bodyOf = (path: string): Json => {
  const schema = doc.paths[path]?.post?.requestBody?.content?.["application/json"]?.schema;
  const ref = typeof schema?.$ref === "string" ? schema.$ref.split("/").pop() : undefined;
  return (ref ? doc.components.schemas[ref] : schema) ?? {};
};

describe("the OpenAPI document names each read body apart", () => {
  // Both bodies were once registered as "MarkRead", so the document (and the web client's types
  // generated from it) described the notifications marker with chat's `message_id`.
  it("documents last_read_id for notifications and message_id for a conversation", () => {
    expect(bodyOf("/v1/notifications/read").required).toEqual(["last_read_id"]);
    expect(bodyOf("/v1/conversations/{id}/read").required).toEqual(["message_id"]);
  });
});
