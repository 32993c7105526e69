export * from "./auth";
export * from "./graph";
export * from "./media";
export * from "./users";
