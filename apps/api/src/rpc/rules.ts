import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Adapts one of libs/common's naming checks (`(value) => reason | undefined`) to a class-validator rule, so
 * the RPC DTOs, the services and the catalogue share one definition of each name format.
 */
export function NameRule(rule: string, summary: string, check: (value: string) => string | undefined, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: rule,
      constraints: [summary],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && check(value) === undefined,
        defaultMessage: (args) => (typeof args?.value === 'string' ? (check(args.value) ?? summary) : summary),
      },
    },
    options,
  );
}
