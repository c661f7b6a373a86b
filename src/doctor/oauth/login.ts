import type { DoctorOptions, DoctorReport } from '../../shared/report.js';

export interface OAuthLoginOptions extends DoctorOptions {
  openBrowser?: (url: string) => void;
  callbackPort?: number;
}

/** Runs the authorization-code flow through the person's browser and diagnoses what happens. */
export async function oauthLoginDiagnosis(_options: OAuthLoginOptions): Promise<DoctorReport> {
  return { ok: false, mode: 'oauth', roundTrips: 0, checks: [], findings: [] };
}
