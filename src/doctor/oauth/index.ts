import type { DoctorOptions, DoctorReport } from '../../shared/report.js';

/** Diagnoses an OAuth 2.0 client-credentials connection (CONTRACT §2, `--client-id`). */
export async function diagnoseOAuth(_options: DoctorOptions): Promise<DoctorReport> {
  return { ok: false, mode: 'oauth', roundTrips: 0, checks: [], findings: [] };
}
