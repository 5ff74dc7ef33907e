/**
 * A tiny event emitter (mitt-style) for `touchpoint.on(...)`. Imports nothing. Handlers that throw are isolated.
 */

export type Handler = (detail: unknown) => void;

export interface Emitter {
  on(name: string, handler: Handler): () => void;
  emit(name: string, detail?: unknown): void;
}

/** Creates an emitter; `onError` sees a handler's throw so one bad handler never stops the others. */
export function createEmitter(onError: (e: unknown) => void): Emitter {
  const all = new Map<string, Set<Handler>>();
  return {
    on(name, handler) {
      let set = all.get(name);
      if (!set) all.set(name, (set = new Set()));
      set.add(handler);
      return () => set!.delete(handler);
    },
    emit(name, detail) {
      all.get(name)?.forEach((h) => {
        try {
          h(detail);
        } catch (e) {
          onError(e);
        }
      });
    },
  };
}
