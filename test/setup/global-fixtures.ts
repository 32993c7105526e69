import type { TestProject } from "vitest/node";
import { makeFixtures } from "../fixtures/images";

declare module "vitest" {
  export interface ProvidedContext {
    imageFixtures: Record<string, string>;
  }
}

export default async function setup(project: TestProject) {
  project.provide("imageFixtures", await makeFixtures());
}
