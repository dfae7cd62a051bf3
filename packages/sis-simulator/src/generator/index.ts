export { generateDistrict, DISTRICT_SIZES, type District, type DistrictSize } from "./district";
export { mutate, type MutateOptions, type MutationChanges, type MutationResult } from "./mutate";
export { EnrollmentSet } from "./enrollment-set";
export { ArraySet, IndexView, ViewCache, firstIndexAfter, firstIndexNotBefore } from "./record-set";
export { dayTimestamp, parseId } from "./ids";
export * from "./types";
