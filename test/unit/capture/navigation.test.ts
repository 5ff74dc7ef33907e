/**
 * watchNavigation in happy-dom: one call per real URL change, and one per return from the back/forward cache
 * (`pageshow` with `persisted`), which Firefox and Safari use on Back instead of loading the page.
 */
import { describe, expect, it } from 'vitest';
import { watchNavigation } from '../../../src/capture/navigation';

const tick = () => new Promise((r) => setTimeout(r, 5));
const pageshow = (persisted: boolean) => Object.assign(new Event('pageshow'), { persisted });

describe('watchNavigation', () => {
  it('reports a page restored from the back/forward cache once per restore, and a normal pageshow never', async () => {
    const calls: [string, boolean | undefined][] = [];
    const stop = watchNavigation((url, _previous, restored) => calls.push([new URL(url).pathname, restored]), window);
    window.dispatchEvent(pageshow(false));
    history.pushState({}, '', '/products');
    await tick();
    window.dispatchEvent(pageshow(true));
    window.dispatchEvent(pageshow(true));
    expect(calls).toEqual([['/products', undefined], ['/products', true], ['/products', true]]);
    stop();
    window.dispatchEvent(pageshow(true));
    expect(calls).toHaveLength(3);
  });
});
