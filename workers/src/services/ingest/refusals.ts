import { ApiError } from '../../errors.ts';

/**
 * A batch the DeviceHub refused for good, as plain data: errors thrown over Durable Object
 * RPC lose their class, so the hub returns this and the caller rebuilds the error.
 */
export interface IngestRefusal {
  status: 409 | 422;
  code: string;
  message: string;
  field?: string;
}

/** The batch id was stored before with other samples; a changed batch needs a new id. */
export function batchConflict(batchId: string): ApiError {
  return new ApiError(
    409,
    'batch_conflict',
    `batch ${batchId} was stored before with other samples; nothing was stored (send changed samples under a new batchId)`,
    { field: 'batchId' },
  );
}

/**
 * The batch would register series beyond the device's limit. 422, not 429: sending it again
 * cannot succeed until the limit is raised or series are deleted, so no Retry-After is given
 * and agents set the batch aside instead of retrying it forever. `field` names the first sample
 * (`samples.4`) or series (`series.2`) over the limit.
 */
export function seriesLimit(limit: number, field: string): ApiError {
  return new ApiError(
    422,
    'series_limit',
    `${field} would register a series beyond this device's limit of ${limit} series (SERIES_PER_DEVICE); nothing was stored`,
    { field },
  );
}

/** The plain form of a refusal, for an RPC answer. */
export function toRefusal(err: ApiError): IngestRefusal {
  return { status: err.status as IngestRefusal['status'], ...err.body().error };
}

/** The error to answer for a refusal the DeviceHub returned. */
export function refusalError(r: IngestRefusal): ApiError {
  return new ApiError(r.status, r.code, r.message, r.field ? { field: r.field } : {});
}
