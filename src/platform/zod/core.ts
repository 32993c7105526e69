/** `z.core` for the Worker bundle: zod's core, with English as its only locale (see ./index.ts). */
import en from "zod/v4/locales/en.js";

export * from "zod/v4/core";
export const locales = { en };
