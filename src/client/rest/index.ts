/** `intacct-connect/rest`: OAuth 2.0 and the REST API of Sage Intacct. */
export * from './client.js';
export * from './errors.js';
export type { Exchange, HttpOptions } from './http.js';
export * from './jwt.js';
export * from './oauth.js';
export * from './redact.js';
