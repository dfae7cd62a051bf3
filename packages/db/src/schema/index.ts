export * from "./providers";
export * from "./runs";
export * from "./roster";
export * from "./staging";
