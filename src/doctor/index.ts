import type { DoctorOptions, DoctorReport } from '../shared/report.js';
import { diagnoseXml } from './xml.js';

export { type CheckDefinition, CheckTracker, XML_CHECKS } from './checks.js';
export { type Blocking, classifyBlocking, classifySignInText, type FailedOutcome } from './classify.js';
export {
  buildFinding,
  type CauseLookup,
  type CauseText,
  loadCauseLookup,
  type PermissionModel,
} from './findings.js';
export { extractRequestIds, extractSupportIds, stripIds } from './ids.js';
export { checkInput, type InputCheck, type InputIssue } from './input.js';
export {
  describeMissing,
  grantLines,
  grants,
  hasModule,
  parseUserPermissions,
  type RightsMap,
} from './permissions.js';
export { buildProbePlan, probesFor } from './plan.js';
export { REDACTED, redactHeaders, redactText } from './redact.js';
export { assembleReport, dedupeFindings, orderFindings, type ReportParts, rootFinding } from './report.js';
export { DiagnosisSession, secretValues } from './session.js';
export { diagnoseXml };

/**
 * Diagnoses one connection. With a client ID the OAuth 2.0 client-credentials flow is diagnosed
 * (src/doctor/oauth, loaded on demand); otherwise the XML Web Services login.
 */
export async function diagnose(options: DoctorOptions): Promise<DoctorReport> {
  if (options.credentials.clientId) {
    const specifier = './oauth/index.js';
    const mod = (await import(specifier)) as { diagnoseOAuth: (o: DoctorOptions) => Promise<DoctorReport> };
    return mod.diagnoseOAuth(options);
  }
  return diagnoseXml(options);
}
