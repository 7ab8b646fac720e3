import type { RpcActionDef } from '../rpc-action.js';
import { ACCESS_KEY_ACTIONS } from './access-keys.actions.js';
import { DEVICE_CREDENTIAL_ACTIONS } from './device-credentials.actions.js';
import { MESSAGE_ACTIONS } from './messages.actions.js';
import { TOKEN_ACTIONS } from './tokens.actions.js';
import { SESSION_ACTIONS } from './sessions.actions.js';
import { GROUP_ACTIONS } from './groups.actions.js';
import { INSTANCE_ACTIONS } from './instances.actions.js';
import { TOPIC_ACTIONS } from './topics.actions.js';

/**
 * The action table of the RPC face. A later issue adds its actions by appending its `*.actions.ts`
 * list here; the endpoint, the catalogue and its tests pick them up.
 */
export const RPC_ACTIONS: readonly RpcActionDef<any, any>[] = [...INSTANCE_ACTIONS, ...TOPIC_ACTIONS, ...GROUP_ACTIONS, ...ACCESS_KEY_ACTIONS,
  ...TOKEN_ACTIONS, ...DEVICE_CREDENTIAL_ACTIONS, ...MESSAGE_ACTIONS, ...SESSION_ACTIONS];

const BY_NAME = new Map(RPC_ACTIONS.map((a) => [a.action, a]));
if (BY_NAME.size !== RPC_ACTIONS.length) throw new Error('RPC_ACTIONS has a duplicate action name');

/** Action names are case-sensitive, as Alibaba's (pop-core upper-cases the first letter for callers). */
export function findAction(name: string): RpcActionDef<any, any> | undefined {
  return BY_NAME.get(name);
}
