export { startApi, reconcileSchedules, type ApiHandle, type StartApiOptions } from "./server";
export { mintToken } from "./auth/mint-token";
