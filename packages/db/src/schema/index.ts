export * from "./providers";
export * from "./runs";
export * from "./roster";
export * from "./staging";
export * from "./changes";
export * from "./webhooks";
