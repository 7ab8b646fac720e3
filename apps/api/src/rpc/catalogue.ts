import { ERROR_CATALOGUE } from '../../../../libs/common/src/errors.js';
import { RPC_ACTIONS } from './actions/index.js';
import { rpcParamsOf, rulesOf } from './rpc-param.js';
import type { RpcActionDef, RpcShape } from './rpc-action.js';
import { RPC_VERSION } from './rpc.endpoint.js';

/**
 * The RPC action catalogue (committed as `openapi/rpc-actions.json`, served at `/rpc-actions.json`),
 * generated from the action table so it cannot drift: a test fails when the committed file differs.
 */
export const CATALOGUE_FILE = 'openapi/rpc-actions.json';

/** Errors any action can give: protocol and authentication (reference §1.5 generic codes). */
const COMMON_ERRORS = [
  'IncompleteSignature',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'InvalidTimeStamp.Format',
  'InvalidTimeStamp.Expired',
  'SignatureNonceUsed',
  'MissingParameter',
  'InvalidParameter.SignatureMethod',
  'InvalidParameter.SignatureVersion',
  'InvalidParameter.SecurityToken',
  'InvalidFormat',
  'InvalidVersion',
  'InvalidAction.NotFound',
  'InternalError',
];

const COMMON_PARAMETERS = [
  { Name: 'Action', Type: 'String', Required: true, Description: 'Action name (v3: the x-acs-action header).' },
  { Name: 'Version', Type: 'String', Required: true, Description: `Always ${RPC_VERSION} (v3: the x-acs-version header).` },
  { Name: 'Format', Type: 'String', Required: false, Description: 'JSON (any case; the default). XML is refused with InvalidFormat.' },
  { Name: 'AccessKeyId', Type: 'String', Required: true, Description: 'Signature v1: the signing AccessKey.' },
  { Name: 'SignatureMethod', Type: 'String', Required: true, Description: 'Signature v1: HMAC-SHA1.' },
  { Name: 'SignatureVersion', Type: 'String', Required: true, Description: 'Signature v1: 1.0.' },
  { Name: 'SignatureNonce', Type: 'String', Required: true, Description: 'Signature v1: unique per request (≤128 characters); a replay within 15 minutes is SignatureNonceUsed (v3: x-acs-signature-nonce).' },
  { Name: 'Timestamp', Type: 'String', Required: true, Description: 'Signature v1: UTC YYYY-MM-DDThh:mm:ssZ within 15 minutes of server time (v3: x-acs-date).' },
  { Name: 'Signature', Type: 'String', Required: true, Description: 'Signature v1: Base64(HMAC-SHA1(secret + "&", StringToSign)).' },
  { Name: 'RegionId', Type: 'String', Required: false, Description: 'Accepted and ignored.' },
];

function statusOf(code: string): number {
  if (code.startsWith('InvalidParameter.')) return 400;
  const entry = (ERROR_CATALOGUE as Record<string, { status: number; rpcStatus?: number }>)[code];
  if (!entry) throw new Error(`Error code ${code} is not in ERROR_CATALOGUE`);
  return entry.rpcStatus ?? entry.status;
}

function errors(codes: readonly string[]): { Code: string; HttpStatus: number }[] {
  return [...new Set(codes)].map((Code) => ({ Code, HttpStatus: statusOf(Code) }));
}

function describeAction(def: RpcActionDef<any, any>) {
  return {
    Action: def.action,
    Summary: def.summary,
    RamAction: def.ram.action,
    RamResource: def.ram.resource,
    Parameters: rpcParamsOf(def.params).map((p) => ({
      Name: p.repeated ? `${p.name}.N` : p.name,
      Type: p.type,
      Required: p.required,
      Description: p.description,
      Rules: rulesOf(def.params, p.name),
    })),
    Response: { RequestId: 'String', ...def.response } as Record<string, RpcShape>,
    Errors: errors(def.errors),
  };
}

export function rpcCatalogue() {
  return {
    Product: 'OnsMqtt (Aviary)',
    Version: RPC_VERSION,
    Endpoint: 'http(s)://<host>:<HTTP_PORT>/ — GET or POST, parameters in the query string and/or an application/x-www-form-urlencoded body',
    Signatures: [
      'v1: HMAC-SHA1 over the sorted, RFC 3986-encoded parameters (SignatureMethod=HMAC-SHA1, SignatureVersion=1.0), as @alicloud/pop-core RPCClient',
      'v3: Authorization: ACS3-HMAC-SHA256 with x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce, x-acs-content-sha256 and host signed, as @alicloud/openapi-client',
    ],
    SuccessEnvelope: 'HTTP 200, JSON: RequestId plus the action fields (never a Code field)',
    ErrorEnvelope: 'HTTP 4xx/5xx, JSON: {RequestId, HostId, Code, Message, Recommend}',
    CommonParameters: COMMON_PARAMETERS,
    CommonErrors: errors(COMMON_ERRORS),
    Actions: RPC_ACTIONS.map(describeAction),
  };
}

/** The catalogue as committed: stable key order, two-space indent, trailing newline. */
export function rpcCatalogueJson(): string {
  return JSON.stringify(rpcCatalogue(), null, 2) + '\n';
}
