export * from "./src/testing";
