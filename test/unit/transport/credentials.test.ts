/**
 * Which requests may carry cookies: batch, page-hide and consent-record posts send them only to a collector on the
 * page's own origin (for its HttpOnly device cookie), never cross-origin. A recording fetch stands in for the network.
 */
import { describe, expect, it } from 'vitest';
import { postConsentRecord } from '../../../src/transport/http';
import { createDestination } from '../../../src/transport/destination';
import { createTouchpointFormat } from '../../../src/transport/formats/touchpoint';

function recordingFetch() {
  const calls: { credentials: RequestCredentials; init: RequestInit }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ credentials: new Request(url, init).credentials, init }); // a Request resolves fetch's defaults
    return new Response(JSON.stringify({ accepted: 1, duplicates: 0, rejected: [] }), { status: 200 });
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch };
}

const event = { type: 'track', event: 'x', messageId: 'm-1', anonymousId: 'a-1', timestamp: new Date(0).toISOString() } as any;

describe('transport credentials', () => {
  it('sends batches, page-hide batches and consent records with same-origin credentials', async () => {
    const r = recordingFetch();
    const { send } = createDestination({ name: 'touchpoint', format: createTouchpointFormat({ url: 'https://shop.example', writeKey: 'wk' }), fetch: r.fetch });
    expect((await send([event])).outcome).toBe('sent');
    expect((await send([event], { unload: true })).outcome).toBe('sent');
    expect(await postConsentRecord('https://shop.example', 'wk', { consentId: 'c' }, r.fetch)).toBe(true);
    expect(r.calls.map((c) => c.credentials)).toEqual(['same-origin', 'same-origin', 'same-origin']);
    expect(r.calls[1]!.init.keepalive).toBe(true);
  });
});
