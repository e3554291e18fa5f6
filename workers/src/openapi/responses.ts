import { notFound } from '../errors.ts';

/**
 * The documented 404 of an operation on one object of the caller's organisation: an id of
 * another organisation answers like an unknown one. `noun` is the object as the route's
 * not-found error names it (`notFound(`${noun} "<id>"`)`), so the example is the real answer.
 */
export const notFoundResponse = (noun: string, exampleId: string) => ({
  description: `No such ${noun} in your organisation`,
  example: notFound(`${noun} "${exampleId}"`).body(),
});
