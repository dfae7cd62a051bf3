export * from "./canonical";
export * from "./connector";
