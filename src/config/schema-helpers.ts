/** Schema building blocks shared by the core schema files: durations, sizes, closed objects. */
import { Type } from '@sinclair/typebox';
import { DURATION_PATTERN, SIZE_PATTERN } from './units.js';

export const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description, 'x-message': 'must be a duration such as 250ms, 30s, 5m or 1h' });
export const Size = (description: string) => Type.String({ pattern: SIZE_PATTERN, description, 'x-message': 'must be a size such as 512b, 64kb or 10mb' });
/** Unknown keys are errors (CONTRACT: they are usually typos). */
export const Strict = { additionalProperties: false } as const;
