/** Everything needed to reach one customer's Intacct company. Secrets are marked; never log them. */
export interface ConnectionCredentials {
  endpointUrl?: string;
  apiUrl?: string;
  senderId?: string;
  /** secret */
  senderPassword?: string;
  companyId?: string;
  entityId?: string;
  userId?: string;
  /** secret */
  userPassword?: string;
  clientId?: string;
  /** secret */
  clientSecret?: string;
  /** secret */
  sessionId?: string;
  /**
   * secret. An authorization-code connection has no password: it is diagnosed with its refresh token
   * (a refresh_token grant) instead of the client-credentials grant.
   */
  refreshToken?: string;
  /** secret. A fresh access token, used as it is (no token request). */
  accessToken?: string;
}

export const SECRET_CREDENTIAL_FIELDS = [
  'senderPassword',
  'userPassword',
  'clientSecret',
  'sessionId',
] as const;

export const DEFAULT_ENDPOINT_URL = 'https://api.intacct.com/ia/xml/xmlgw.phtml';
export const DEFAULT_API_URL = 'https://api.intacct.com/ia/api/v1';
