export * from "./auth";
export * from "./graph";
export * from "./users";
