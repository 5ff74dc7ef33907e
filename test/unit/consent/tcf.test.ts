import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTcfReader, tcfGranted, type TcData } from '../../../src/consent/bridges/tcf';
import * as interop from '../../../src/consent/interop';
import { createConsentManager } from '../../../src/consent/manager';
import type { ConsentRecord } from '../../../src/schema/consent-record';
import { config, flush, memoryStorage, quietLog } from './helpers';

type Listener = (d: TcData, ok: boolean) => void;
const cfg = { purposes: { analytics: [8, 9], marketing: [2, 3, 4, 7] }, timeoutMs: 200 };

/** A minimal CMP: records calls, lets the test fire events. */
function fakeCmp() {
  const listeners = new Map<number, Listener>();
  const calls: string[] = [];
  let next = 1;
  const api = vi.fn((cmd: string, version: number, cb: (d: unknown, ok: boolean) => void, param?: unknown) => {
    calls.push(`${cmd}:${version}`);
    if (cmd == 'addEventListener') {
      const id = next++;
      listeners.set(id, cb as Listener);
      cb({ eventStatus: 'cmpuishown', listenerId: id, purpose: { consents: {} } }, true);
    }
    if (cmd == 'removeEventListener') cb(listeners.delete(param as number), true);
  });
  (window as unknown as { __tcfapi: unknown }).__tcfapi = api;
  const fire = (d: TcData) => listeners.forEach((l, id) => l({ listenerId: id, ...d }, true));
  return { api, calls, fire, listeners };
}
const all = (ids: number[]) => Object.fromEntries(ids.map((i) => [i, true]));

afterEach(() => {
  delete (window as unknown as { __tcfapi?: unknown }).__tcfapi;
  vi.useRealTimers();
});

describe('TCF v2.2 reader', () => {
  it('ignores cmpuishown and acts on tcloaded and useractioncomplete', () => {
    const cmp = fakeCmp();
    const onDecision = vi.fn();
    startTcfReader({ config: cfg, window, onDecision, onFail: vi.fn() });
    expect(onDecision).not.toHaveBeenCalled();
    cmp.fire({ eventStatus: 'tcloaded', tcString: 'CP1', purpose: { consents: all([1, 8, 9]) } });
    cmp.fire({ eventStatus: 'useractioncomplete', tcString: 'CP2', purpose: { consents: all([1, 2, 3, 4, 7, 8, 9]) } });
    expect(onDecision.mock.calls).toEqual([[['analytics'], 'CP1'], [['analytics', 'marketing'], 'CP2']]);
    expect(cmp.calls[0]).toBe('addEventListener:2');
  });

  it('requires purpose 1 for any category; purposeOneTreatment means no storage consent', () => {
    expect(tcfGranted(cfg, { purpose: { consents: all([8, 9, 2, 3, 4, 7]) } })).toEqual([]);
    expect(tcfGranted(cfg, { purposeOneTreatment: true, purpose: { consents: all([1, 8, 9]) } })).toEqual([]);
    expect(tcfGranted(cfg, { purpose: { consents: all([1, 8]) } })).toEqual([]);
  });

  it('requires vendor consent when a vendorId is configured and never reads legitimate interests', () => {
    const d = { purpose: { consents: all([1, 8, 9]), legitimateInterests: all([2, 3, 4, 7]) }, vendor: { consents: { 7: true } } } as TcData;
    expect(tcfGranted({ ...cfg, vendorId: 42 }, d)).toEqual([]);
    expect(tcfGranted({ ...cfg, vendorId: 7 }, d)).toEqual(['analytics']);
  });

  it('fails closed on timeout, without a CMP, and on gdprApplies=false data', () => {
    vi.useFakeTimers();
    fakeCmp();
    const onFail = vi.fn();
    startTcfReader({ config: cfg, window, onDecision: vi.fn(), onFail });
    vi.advanceTimersByTime(250);
    expect(onFail).toHaveBeenCalledWith('timeout');
    delete (window as unknown as { __tcfapi?: unknown }).__tcfapi;
    const onFail2 = vi.fn();
    startTcfReader({ config: cfg, window, onDecision: vi.fn(), onFail: onFail2 });
    expect(onFail2).toHaveBeenCalledWith('no-cmp');
    expect((window as unknown as { __tcfapi?: unknown }).__tcfapi).toBeUndefined();
    expect((window as unknown as { __gpp?: unknown }).__gpp).toBeUndefined();
    expect(tcfGranted(cfg, { gdprApplies: false })).toEqual([]);
  });

  it('removes its listener on stop', () => {
    const cmp = fakeCmp();
    const r = startTcfReader({ config: cfg, window, onDecision: vi.fn(), onFail: vi.fn() });
    r.stop();
    expect(cmp.calls).toEqual(['addEventListener:2', 'removeEventListener:2']);
    expect(cmp.listeners.size).toBe(0);
  });

  it('through the manager: stays pending until the CMP answers, records method tcf with the TC string, no banner', async () => {
    const cmp = fakeCmp();
    const mem = memoryStorage();
    const records: ConsentRecord[] = [];
    const load = vi.fn();
    const make = () =>
      createConsentManager({ config: config({ tcf: cfg }), log: quietLog(), sdkVersion: '1', postRecord: (r) => records.push(r), storage: mem.storage, loadBanner: load, loadInterop: async () => interop });
    const m = make();
    if ('failed' in m) throw new Error();
    expect(m.get().status).toBe('pending');
    await flush(); // the reader arrives with the lazy interop chunk
    cmp.fire({ eventStatus: 'tcloaded', tcString: 'CPtc', purpose: { consents: all([1, 8, 9]) } });
    expect(m.get()).toMatchObject({ status: 'decided', method: 'tcf', granted: ['necessary', 'analytics'] });
    await flush();
    expect(records).toMatchObject([{ method: 'tcf', tcString: 'CPtc', layer: 'none' }]);
    m.destroy();
    // next page: the same answer makes no new proof record; a changed one does
    const m2 = make();
    if ('failed' in m2) throw new Error();
    expect(m2.get().status).toBe('pending');
    await flush();
    cmp.fire({ eventStatus: 'tcloaded', tcString: 'CPtc', purpose: { consents: all([1, 8, 9]) } });
    expect(m2.get()).toMatchObject({ status: 'decided', method: 'tcf' });
    cmp.fire({ eventStatus: 'useractioncomplete', tcString: 'CPno', purpose: { consents: {} } });
    await flush();
    expect(records.map((r) => r.method)).toEqual(['tcf', 'withdrawal']);
    expect(load).not.toHaveBeenCalled();
    m2.destroy();
  });
});
