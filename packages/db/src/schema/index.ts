export * from "./providers";
export * from "./runs";
