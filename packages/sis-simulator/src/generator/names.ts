/**
 * Name pools. Accents, apostrophes, hyphens and particles are deliberate: they are what
 * breaks naive CSV writers, email builders and case-insensitive matching in real districts.
 */

export const GIVEN_NAMES = [
  "José", "María", "Zoë", "Chloé", "Renée", "François", "Björn", "Siobhán", "Aoife", "Noël",
  "Inés", "Léa", "Mateo", "Sofía", "Liam", "Olivia", "Noah", "Emma", "Ava", "Ethan",
  "Isabella", "Lucas", "Mia", "Amelia", "Harper", "Elijah", "Aaliyah", "D'Andre", "Ja'Marcus", "Nayeli",
  "Thảo", "Minh", "Jürgen", "Ægir", "Søren", "Zoltán", "Ana-Lucía", "Mary Kate", "Jean-Luc", "Kai",
  "Priya", "Aarav", "Fatima", "Omar", "Yusuf", "Hana", "Sakura", "Wei", "Xiadani", "Ximena",
] as const;

export const FAMILY_NAMES = [
  "O'Brien", "D'Angelo", "O'Connor", "García", "Müller", "Nguyễn", "Peña", "Núñez", "Ibáñez", "Álvarez",
  "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Rodríguez", "Martínez", "Hernández",
  "López", "González", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
  "van der Berg", "de la Cruz", "St. John", "McAllister", "MacDonald", "Smith-Jones", "Łukasiewicz", "Øvergård", "Dvořák", "Kowalski",
  "Patel", "Kim", "Park", "Chen", "Wang", "Tanaka", "Haddad", "Okafor", "Abara", "Begay",
] as const;

export const MIDDLE_INITIALS = ["A", "B", "C", "D", "E", "J", "L", "M", "R", "S", ""] as const;

/** ASCII letters and digits only, for building email local parts from a name. */
export function emailSafe(name: string): string {
  return name.normalize("NFD").replace(/[^A-Za-z0-9]/g, "");
}
