import { AuditorService, HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { describeValidationIssues } from '@immutable-infra/backstage-plugin-common';
import { JsonObject } from '@backstage/types';
import { Request, Response } from 'express';
import { z } from 'zod';
import { Caller } from '../audit/principalRef';

/** Credentials of a user or a service; 401 for anything else. @internal */
export function caller(
  httpAuth: HttpAuthService,
  req: Request,
): Promise<Caller> {
  return httpAuth.credentials(req, { allow: ['user', 'service'] });
}

/**
 * Validates a body or query with a zod schema from `-common`; 400 names
 * each problem and the field it is in.
 *
 * @internal
 */
export function parse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: 'request body' | 'query',
): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new InputError(
      `Invalid ${what}: ${describeValidationIssues(parsed.error.issues, what)}`,
    );
  }
  return parsed.data;
}

/**
 * Validates path parameters with a zod schema from `-common`, whose
 * messages name the parameter and its value: 400 with the first.
 *
 * @internal
 */
export function parseParams<T extends z.ZodType>(
  schema: T,
  req: Request,
): z.infer<T> {
  const parsed = schema.safeParse(req.params);
  if (!parsed.success) {
    throw new InputError(parsed.error.issues[0].message);
  }
  return parsed.data;
}

/**
 * Writes a JSON body the way the catalog writes entities: without the ETag
 * that `res.json` hashes the body for. Entity pages are read on every visit
 * and change with time, so they are not cached or revalidated.
 *
 * @internal
 */
export function sendPage(res: Response, body: unknown) {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * Runs a mutation inside an auditor event: success, or failure with the
 * error, which is then rethrown.
 *
 * @internal
 */
export async function audited<T>(
  auditor: AuditorService,
  req: Request,
  event: { eventId: string; meta: JsonObject },
  fn: () => Promise<T>,
): Promise<T> {
  const auditEvent = await auditor.createEvent({
    eventId: event.eventId,
    severityLevel: 'medium',
    request: req,
    meta: event.meta,
  });
  try {
    const result = await fn();
    await auditEvent.success();
    return result;
  } catch (error) {
    await auditEvent.fail({ error: error as Error });
    throw error;
  }
}
