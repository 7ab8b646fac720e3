import { CompiledPolicy } from '../../../acl/src/policy.js';
import { AppError } from '../../../common/src/errors.js';

/**
 * Who is calling: an authenticated AccessKey with its compiled policy. Every service method takes the
 * caller first and checks RAM itself, so the REST face, the RPC face and anything later share one
 * permission model and cannot forget it.
 */
export class Caller {
  constructor(
    readonly accessKeyId: string,
    readonly isRoot: boolean,
    private readonly policy: CompiledPolicy,
  ) {}

  /** The deployment itself (start-up seeding, tests' fixtures): allowed everything. */
  static system(): Caller {
    return new Caller('system', true, CompiledPolicy.denyAll());
  }

  can(action: string, resource: string): boolean {
    return this.isRoot || this.policy.isAllowed(action, resource);
  }

  /** Throws `Forbidden.RAM` (403) unless the policy allows `action` on `resource`. */
  authorize(action: string, resource: string): void {
    if (!this.can(action, resource)) {
      throw AppError.of('Forbidden.RAM', `AccessKey ${this.accessKeyId} is not allowed to perform ${action} on ${resource}.`);
    }
  }
}
