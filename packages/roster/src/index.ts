export * from "./canonical";
export * from "./connector";
export * from "./normalize";
export * from "./prepare-record";
export * from "./run-stats";
export * from "./record-fingerprint";
