/**
 * The IAB GPP 1.1 reader against a small CMP that follows the API: listener events with pingData, getSection for
 * tcfeuv2, removeEventListener. Proves: read only after signalStatus 'ready', TCF mapping rules, fail closed, teardown.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gppGranted, startGppReader, type GppEvent, type GppTcfSection } from '../../../src/consent/bridges/gpp';
import * as interop from '../../../src/consent/interop';
import { createConsentManager } from '../../../src/consent/manager';
import { consentRecordSchema, type ConsentRecord } from '../../../src/schema/consent-record';
import { config, flush, memoryStorage, quietLog } from './helpers';

const cfg = { purposes: { analytics: [8, 9], marketing: [2, 3, 4, 7] }, timeoutMs: 200 };
const bits = (ids: number[]) => Array.from({ length: 24 }, (_, i) => ids.includes(i + 1));

/** A minimal GPP CMP: `__gpp(command, callback, parameter)`, events carry pingData, sections set by the test. */
function fakeGpp(initial: { signalStatus?: string; applicableSections?: number[] } = {}) {
  const listeners = new Map<number, (e: GppEvent, ok: boolean) => void>();
  const calls: string[] = [];
  let next = 1;
  let section: GppTcfSection | null = null;
  let failReads = false;
  const ping = { gppVersion: '1.1', cmpStatus: 'loaded', signalStatus: initial.signalStatus ?? 'not ready', applicableSections: initial.applicableSections ?? [2], sectionList: ['tcfeuv2'], gppString: 'DBAA' };
  const api = vi.fn((cmd: string, cb: (d: unknown, ok: boolean) => void, param?: unknown) => {
    calls.push(param === undefined ? cmd : `${cmd}:${param}`);
    if (cmd == 'addEventListener') {
      const id = next++;
      listeners.set(id, cb as never);
      cb({ eventName: 'listenerRegistered', listenerId: id, data: true, pingData: { ...ping } }, true);
    } else if (cmd == 'removeEventListener') cb(listeners.delete(param as number), true);
    else if (cmd == 'getSection') cb(param == 'tcfeuv2' && !failReads ? section : null, !failReads);
  });
  (window as unknown as { __gpp: unknown }).__gpp = api;
  const emit = (eventName: string, data: unknown) => listeners.forEach((l, id) => l({ eventName, listenerId: id, data, pingData: { ...ping } }, true));
  return {
    api, calls, listeners,
    /** The visitor chose in the CMP: the section is final and the signal ready. */
    choose(s: GppTcfSection) {
      section = s;
      ping.gppString = 'DBABMA~CQ' + JSON.stringify(s).length;
      ping.signalStatus = 'ready';
      emit('signalStatus', 'ready');
    },
    /** The CMP shows its UI: the signal is not ready, placeholders must not be read. */
    showUi(s: GppTcfSection) {
      section = s;
      ping.signalStatus = 'not ready';
      emit('cmpDisplayStatus', 'visible');
      emit('signalStatus', 'not ready');
    },
    failReads(on: boolean) {
      failReads = on;
    },
    changeSection(s: GppTcfSection) {
      section = s;
      ping.gppString = 'DBABMA~CP' + JSON.stringify(s).length;
      emit('sectionChange', 'tcfeuv2');
    },
  };
}

afterEach(() => {
  delete (window as unknown as { __gpp?: unknown }).__gpp;
  vi.useRealTimers();
});

describe('IAB GPP 1.1 reader', () => {
  it('R15/R18: maps tcfeuv2 like TCF: purpose 1 plus the configured purposes, vendor when set, PurposeOneTreatment grants nothing', () => {
    expect(gppGranted(cfg, { PurposeConsents: bits([1, 8, 9]) })).toEqual(['analytics']);
    expect(gppGranted(cfg, { PurposeConsents: bits([8, 9, 2, 3, 4, 7]) })).toEqual([]);
    expect(gppGranted(cfg, { PurposeConsents: bits([1, 8, 9]), PurposeOneTreatment: true })).toEqual([]);
    expect(gppGranted({ ...cfg, vendorId: 42 }, { PurposeConsents: bits([1, 8, 9]), VendorConsents: [7] })).toEqual([]);
    expect(gppGranted({ ...cfg, vendorId: 42 }, { PurposeConsents: bits([1, 8, 9]), VendorConsents: [7, 42] })).toEqual(['analytics']);
    expect(gppGranted(cfg, null)).toEqual([]);
    // R15: legitimate interest never stands in for consent
    expect(gppGranted(cfg, { PurposeConsents: bits([1]), PurposeLegitimateInterests: bits([2, 3, 4, 7, 8, 9]) } as GppTcfSection)).toEqual([]);
  });

  it('reads only after signalStatus ready, never the placeholders shown while the CMP UI is open', () => {
    const cmp = fakeGpp();
    const decisions: string[][] = [];
    const r = startGppReader({ config: cfg, window, onDecision: (g) => decisions.push(g), onFail: () => decisions.push(['fail']) });
    cmp.showUi({ PurposeConsents: bits([1, 2, 3, 4, 7, 8, 9]) });
    expect(decisions).toEqual([]);
    expect(cmp.calls).not.toContain('getSection:tcfeuv2');
    cmp.choose({ PurposeConsents: bits([1, 8, 9]) });
    expect(decisions).toEqual([['analytics']]);
    cmp.changeSection({ PurposeConsents: bits([]) });
    expect(decisions).toEqual([['analytics'], []]);
    // a failed getSection is no answer, not a refusal: nothing is decided from it
    cmp.failReads(true);
    cmp.changeSection({ PurposeConsents: bits([1, 8, 9]) });
    expect(decisions).toEqual([['analytics'], []]);
    r.stop();
  });

  it('reads at once when the signal is already ready at registration', () => {
    const cmp = fakeGpp({ signalStatus: 'ready' });
    cmp.choose({ PurposeConsents: bits([1, 2, 3, 4, 7]) });
    const decisions: string[][] = [];
    startGppReader({ config: cfg, window, onDecision: (g) => decisions.push(g), onFail() {} }).stop();
    expect(decisions).toEqual([['marketing']]);
  });

  it('fails closed: no CMP, no answer within the timeout, or the EU section not applicable', () => {
    vi.useFakeTimers();
    const fails: string[] = [];
    startGppReader({ config: cfg, window, onDecision() {}, onFail: (w) => fails.push(w) });
    expect(fails).toEqual(['no-cmp']);
    fakeGpp();
    startGppReader({ config: cfg, window, onDecision() {}, onFail: (w) => fails.push(w) });
    vi.advanceTimersByTime(250);
    expect(fails).toEqual(['no-cmp', 'timeout']);
    const us = fakeGpp({ applicableSections: [7] });
    const decisions: string[][] = [];
    startGppReader({ config: cfg, window, onDecision: (g) => decisions.push(g), onFail: (w) => fails.push(w) });
    us.choose({ PurposeConsents: bits([1, 8, 9]) });
    expect(decisions).toEqual([[]]);
  });

  it('never defines __gpp and removes its listener on stop', () => {
    const r0 = startGppReader({ config: cfg, window, onDecision() {}, onFail() {} });
    expect((window as unknown as { __gpp?: unknown }).__gpp).toBeUndefined();
    r0.stop();
    const cmp = fakeGpp();
    const r = startGppReader({ config: cfg, window, onDecision() {}, onFail() {} });
    expect(cmp.listeners.size).toBe(1);
    r.stop();
    expect(cmp.listeners.size).toBe(0);
    expect(cmp.calls).toEqual(['addEventListener', 'removeEventListener:1']);
  });

  it('through the manager: pending until ready, method tcf, no banner; a changed choice is a withdrawal', async () => {
    const cmp = fakeGpp();
    const records: ConsentRecord[] = [];
    const load = vi.fn();
    const m = createConsentManager({
      config: config({ gpp: cfg }), log: quietLog(), sdkVersion: '1', postRecord: (r) => records.push(r), storage: memoryStorage().storage,
      loadBanner: load, loadInterop: async () => interop,
    });
    if ('failed' in m) throw new Error(m.failed);
    await flush();
    expect(m.get().status).toBe('pending');
    cmp.choose({ PurposeConsents: bits([1, 8, 9]) });
    expect(m.get()).toMatchObject({ status: 'decided', method: 'tcf', granted: ['necessary', 'analytics'] });
    cmp.changeSection({ PurposeConsents: bits([1]) });
    await flush();
    expect(records.map((r) => r.method)).toEqual(['tcf', 'withdrawal']);
    // each proof record carries the GPP string the CMP had when it decided, never a TC string
    const strings = records.map((r) => r.gppString);
    expect(strings[0]).toMatch(/^DBABMA~CQ\d+$/);
    expect(strings[1]).toMatch(/^DBABMA~CP\d+$/);
    expect(records.every((r) => r.tcString === undefined)).toBe(true);
    for (const r of records) expect(consentRecordSchema.safeParse(r).success).toBe(true);
    expect(load).not.toHaveBeenCalled();
    m.destroy();
    expect(cmp.listeners.size).toBe(0);
  });

  it('the config takes tcf or gpp, not both', () => {
    const m = createConsentManager({ config: config({ gpp: cfg, tcf: cfg }), log: quietLog(), sdkVersion: '1', postRecord() {} });
    expect(m).toEqual({ failed: expect.stringContaining('gpp') });
  });
});
