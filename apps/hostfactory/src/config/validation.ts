import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  validateSync,
  type ValidationArguments,
  type ValidationError,
  type ValidationOptions,
} from 'class-validator';

/** Small decorator combinators over class-validator, each with one readable reason. */

function combine(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorator of decorators) decorator(target, key);
  };
}

export function reason(text: string): ValidationOptions {
  return { message: text };
}

export function OptionalString(): PropertyDecorator {
  return combine(IsOptional(), IsString(reason('must be a string')), IsNotEmpty(reason('must not be empty')));
}

export function RequiredString(text = 'is required (a non-empty string)'): PropertyDecorator {
  return combine(IsString(reason(text)), IsNotEmpty(reason(text)));
}

function intReason(min: number, max: number | undefined): string {
  return max === undefined ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
}

export function Int(min: number, max?: number): PropertyDecorator {
  const text = intReason(min, max);
  const decorators = [IsInt(reason(text)), Min(min, reason(text))];
  if (max !== undefined) decorators.push(Max(max, reason(text)));
  return combine(...decorators);
}

export function OptionalInt(min: number, max?: number): PropertyDecorator {
  return combine(IsOptional(), Int(min, max));
}

export function OptionalNumber(min: number, max?: number): PropertyDecorator {
  const text = max === undefined ? `must be a number >= ${min}` : `must be a number from ${min} to ${max}`;
  const decorators = [IsOptional(), IsNumber({}, reason(text)), Min(min, reason(text))];
  if (max !== undefined) decorators.push(Max(max, reason(text)));
  return combine(...decorators);
}

/** A list of non-empty strings (a comma-separated string is split before validation). */
export function OptionalStringList(): PropertyDecorator {
  return combine(
    IsOptional(),
    ValidateBy({
      name: 'stringList',
      validator: {
        validate: (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string' && item.trim() !== ''),
        defaultMessage: (): string => 'must be a list of non-empty strings (or one comma-separated string)',
      },
    }),
  );
}

export function OptionalBoolean(): PropertyDecorator {
  return combine(IsOptional(), IsBoolean(reason('must be true or false')));
}

/** `IsIn` whose reason names the value and the choices: `unknown priceType 'cheap' (ondemand|spot)`. */
export function OneOf(what: string, choices: readonly string[], optional = false): PropertyDecorator {
  const message = (args: ValidationArguments): string =>
    `unknown ${what} ${JSON.stringify(args.value)?.replace(/^"|"$/g, "'") ?? String(args.value)} (${choices.join('|')})`;
  const isIn = IsIn([...choices], { message });
  return optional ? combine(IsOptional(), isIn) : isIn;
}

/** An http(s) URL with a host (an endpoint or a queue URL): checked when the config loads, not when a call first uses it. */
export function OptionalUrl(): PropertyDecorator {
  return combine(
    IsOptional(),
    ValidateBy({
      name: 'isHttpUrl',
      validator: {
        validate: (value: unknown): boolean => {
          if (typeof value !== 'string') return false;
          try {
            const url = new URL(value);
            return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
          } catch {
            return false;
          }
        },
        defaultMessage: (args?: ValidationArguments): string => `must be an http:// or https:// URL with a host (got ${JSON.stringify(args?.value)})`,
      },
    }),
  );
}

/**
 * A provider instance name: it names the state file, the log file and every key of a shared
 * store, so 1-64 characters without path separators, control characters or `#`, and not `.`
 * or `..`.
 */
export function ProviderName(): PropertyDecorator {
  return combine(
    IsOptional(),
    ValidateBy({
      name: 'isProviderName',
      validator: {
        validate: (value: unknown): boolean =>
          // Control characters are what the pattern refuses.
          // eslint-disable-next-line no-control-regex
          typeof value === 'string' && /^[^/\\#\u0000-\u001f]{1,64}$/.test(value) && value !== '.' && value !== '..',
        defaultMessage: (args?: ValidationArguments): string =>
          `must be 1-64 characters without '/', '\\', '#' or control characters, and not '.' or '..' (got ${JSON.stringify(args?.value)})`,
      },
    }),
  );
}

/** AWS region names: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function OptionalRegion(): PropertyDecorator {
  return combine(
    IsOptional(),
    ValidateBy({
      name: 'isAwsRegion',
      validator: {
        validate: (value: unknown): boolean => typeof value === 'string' && REGION.test(value),
        defaultMessage: (args?: ValidationArguments): string => `must be an AWS region name such as us-east-1 (got ${JSON.stringify(args?.value)})`,
      },
    }),
  );
}

/** The first problem of a validated object: its property and one reason. */
export interface Problem {
  readonly property: string;
  readonly reason: string;
}

/** Runs class-validator and returns every problem (one reason per property), in property order. */
export function findProblems(object: object): Problem[] {
  const errors: ValidationError[] = validateSync(object, { forbidUnknownValues: false });
  return errors.map((error) => ({
    property: error.property,
    reason: firstReason(error),
  }));
}

function firstReason(error: ValidationError): string {
  // The rules of one property share a reason or exclude each other, so any failed one will do.
  return Object.values(error.constraints ?? {})[0] ?? 'is invalid';
}
