import type { Config } from "jest";

// @swc/jest instead of ts-jest: ts-jest supports TypeScript < 7 only, and swc is
// much faster; the type check runs separately (`pnpm typecheck`).
const transform: Config["transform"] = {
  "^.+\\.(t|j)sx?$": ["@swc/jest", { jsc: { target: "es2022", parser: { syntax: "typescript" } }, module: { type: "commonjs" } }],
};
const base = { transform, testEnvironment: "node", moduleFileExtensions: ["ts", "js", "json"] };

const config: Config = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/{apps,packages}/*/src/**/*.test.ts", "<rootDir>/deploy/test/**/*.test.ts"] },
    {
      ...base,
      displayName: "integration",
      testMatch: ["<rootDir>/{apps,packages}/*/test/**/*.test.ts"],
      setupFiles: ["<rootDir>/jest.integration-setup.ts"],
    },
    {
      ...base,
      displayName: "faults",
      testMatch: ["<rootDir>/test/faults/**/*.test.ts"],
      setupFiles: ["<rootDir>/jest.integration-setup.ts"],
    },
  ],
  // Integration tests spawn worker processes and share 2 cores: keep parallelism modest.
  maxWorkers: 2,
  testTimeout: 60_000,
};
export default config;
