import { MaxLength } from 'class-validator';
import { RpcParam } from '../rpc-param.js';

/** `InstanceId`, shared by every action inside an instance. Unknown or malformed ids are `InstanceNotFound`. */
export class InstanceScopedParams {
  @RpcParam({ type: 'String', required: true, description: 'Instance ID, e.g. `mqtt-0pp1ldu4k2bx`.' })
  @MaxLength(64)
  InstanceId: string;
}
