import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here; migrations are applied with wrangler
// (`wrangler d1 migrations apply`), never with drizzle-kit push. Review every generated file:
// table rebuilds on D1 need `PRAGMA defer_foreign_keys` and this project uses no cascades.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});
