/** PostgreSQL's unique_violation, raised when a concurrent request won the race for a unique name. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string } };
  return err?.code === '23505' || err?.driverError?.code === '23505';
}
