export * from "./auth";
export * from "./chat";
export * from "./feed";
export * from "./graph";
export * from "./media";
export * from "./posts";
export * from "./stories";
export * from "./users";
