import type { Fetch } from './dns.ts';
import { refusal, type GuardOptions } from './ssrf.ts';

/** Redirects followed per attempt; the fourth is a failure. */
export const MAX_REDIRECTS = 3;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export type PostResult = { response: Response; url: string } | { error: string; url: string };

/**
 * POSTs `body` to `url` through the SSRF guard, following up to {@link MAX_REDIRECTS} redirects
 * by hand (`redirect: 'manual'`) so that each hop's target is checked before it is contacted.
 * Every hop gets the same method, headers and body: a webhook that moved still receives its
 * message, signed the same way. `fetch` is injectable for tests.
 */
export async function guardedPost(
  url: string,
  init: { headers: Record<string, string>; body: string },
  opts: GuardOptions,
): Promise<PostResult> {
  const fetchFn: Fetch = opts.fetch ?? fetch;
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    const refused = await refusal(target, opts, 'deliver');
    if (refused)
      return { error: hop === 0 ? refused : `redirect to ${target.href} refused: ${refused}`, url: target.href };
    const response = await fetchFn(target, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      redirect: 'manual',
      signal: opts.signal,
    });
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || location === null) return { response, url: target.href };
    await response.body?.cancel();
    if (hop === MAX_REDIRECTS) return { error: `more than ${MAX_REDIRECTS} redirects`, url: target.href };
    if (!URL.canParse(location, target.href))
      return { error: `redirect to an invalid URL: ${location.slice(0, 200)}`, url: target.href };
    target = new URL(location, target);
  }
}
