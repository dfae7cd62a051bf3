import { emailMatchKey, mapEnrollmentRole, mapRole, normalizeDate, normalizeEmail, normalizeGrade, normalizeGrades, normalizeName, normalizeText } from "./normalize";

describe("normalizeText / normalizeName", () => {
  it("trims, drops control characters and turns blanks into null", () => {
    expect(normalizeText("  Lincoln High \u0000")).toBe("Lincoln High");
    expect(normalizeText("   ")).toBeNull();
    expect(normalizeText(undefined)).toBeNull();
    expect(normalizeText(42)).toBe("42");
  });
  it("collapses inner whitespace in names and gives '' for a blank name", () => {
    expect(normalizeName("  Mary \t Ann ")).toBe("Mary Ann");
    expect(normalizeName(null)).toBe("");
  });
});

describe("emails", () => {
  it("keeps the display spelling and lower-cases only the match key", () => {
    expect(normalizeEmail("  Jane.Doe@School.ORG ")).toBe("Jane.Doe@School.ORG");
    expect(emailMatchKey("  Jane.Doe@School.ORG ")).toBe("jane.doe@school.org");
    expect(emailMatchKey("")).toBeNull();
  });
});

describe("roles", () => {
  it.each([
    ["student", "student"],
    ["Teacher", "teacher"],
    ["district_admin", "administrator"],
    ["school_admin", "administrator"],
    ["siteAdministrator", "administrator"],
    ["staff", "administrator"],
    ["contact", "guardian"],
    ["parent", "parent"],
    ["proctor", "proctor"],
  ])("maps %s to %s", (input, expected) => expect(mapRole(input)).toBe(expected));
  it("returns null for an unknown role and keeps guardians out of enrollments", () => {
    expect(mapRole("wizard")).toBeNull();
    expect(mapEnrollmentRole("guardian")).toBeNull();
    expect(mapEnrollmentRole("Teacher")).toBe("teacher");
  });
});

describe("grades", () => {
  it.each([
    ["K", "KG"],
    ["Kindergarten", "KG"],
    ["0", "KG"],
    ["1", "01"],
    ["01", "01"],
    ["Grade 3", "03"],
    ["3rd", "03"],
    ["12", "12"],
    ["13", "13"],
    ["PreKindergarten", "PK"],
    ["Pre-K", "PK"],
    ["-1", "PK"],
    ["InfantToddler", "IT"],
    ["TransitionalKindergarten", "TK"],
    ["PostGraduate", "PS"],
    ["Ungraded", "UG"],
    ["14", "Other"],
    ["banana", "Other"],
  ])("normalises %s to %s", (input, expected) => expect(normalizeGrade(input)).toBe(expected));
  it("is idempotent, de-duplicates and sorts in school order", () => {
    expect(normalizeGrades(["10", "K", "9", "kg", " "])).toEqual(["KG", "09", "10"]);
    expect(normalizeGrades(normalizeGrades(["10", "K", "9"]))).toEqual(["KG", "09", "10"]);
    expect(normalizeGrades(undefined)).toEqual([]);
  });
});

describe("normalizeDate", () => {
  it("keeps YYYY-MM-DD, takes the date of a timestamp and rejects impossible dates", () => {
    expect(normalizeDate("2025-08-20")).toBe("2025-08-20");
    expect(normalizeDate("2025-08-20T00:00:00Z")).toBe("2025-08-20");
    expect(normalizeDate("2025-02-30")).toBeNull();
    expect(normalizeDate("08/20/2025")).toBeNull();
  });
});
