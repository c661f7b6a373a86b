/**
 * `intacct-connect/xml`: a typed client for the Sage Intacct XML Web Services gateway.
 * Requests are built with `buildRequest` and the `functions` builders, replies classified with
 * `classifyReply` / `parseResponse`, and `IntacctClient` ties it together with sessions, retries,
 * a per-company concurrency cap and redacted logging.
 */
export { classifyReply, type HttpReply, parseRetryAfter, resultError, resultErrors } from './classify.js';
export {
  type ClientLogger,
  type ExecuteOptions,
  IntacctClient,
  type IntacctClientOptions,
  type RetryOptions,
  type SessionInfo,
} from './client.js';
export {
  assertCompleteCredentials,
  type CredentialOptions,
  type CredentialSource,
  CredentialsError,
  defaultProfileFile,
  parseIni,
  type ResolvedCredentials,
  resolveCredentials,
} from './credentials.js';
export {
  describeErrors,
  type ErrorDetail,
  type ErrorLayer,
  type GatewayErrorKind,
  IntacctAuthenticationError,
  IntacctControlError,
  IntacctError,
  IntacctGatewayError,
  IntacctResultError,
  IntacctTransportError,
  type TransportErrorKind,
  XmlParseError,
  XmlSafetyError,
} from './errors.js';
export { assertXmlName, escapeXml } from './escape.js';
export {
  type FieldMap,
  type FieldValue,
  functions,
  MAX_READ_KEYS,
  type QueryFilter,
  type QuerySelect,
  queryLiteral,
  READ_ONLY_FUNCTIONS,
} from './functions.js';
export { type DecodedIds, decodeIds } from './ids.js';
export { REDACTED, redactText, redactXml, SECRET_TAGS } from './redact.js';
export {
  buildRequest,
  type IntacctFunction,
  type LoginAuthentication,
  type RequestSpec,
  type SessionAuthentication,
  XML_PROLOG,
} from './request.js';
export {
  type AuthenticationBlock,
  asList,
  type ControlBlock,
  type ParsedResponse,
  type ParseOptions,
  parseResponse,
  type ResultBlock,
  recordText,
  toValue,
  type XmlRecord,
  type XmlValue,
} from './response.js';
export { DEFAULT_MAX_BYTES, type ScanOptions, scanXml, type XmlElement } from './scanner.js';
export { companySemaphore, Semaphore } from './semaphore.js';
export {
  DEFAULT_TIMEOUT_MS,
  type PostXmlOptions,
  type PostXmlReply,
  postXml,
  transportKind,
} from './transport.js';
