import type { SocketLike } from '../src/lib/socket';

/** A scriptable stand-in for WebSocket. */
export class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code?: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.({});
  }
  send(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  sendRaw(data: unknown) {
    this.onmessage?.({ data });
  }
  /** The connection ends: with the close code the server sent (1012: it restarted), or none (1006, lost). */
  drop(code?: number) {
    this.closed = true;
    this.onclose?.(code === undefined ? {} : { code });
  }
  close() {
    this.closed = true;
  }
}

export function socketFactory() {
  const sockets: FakeSocket[] = [];
  const factory = (url: string) => {
    const s = new FakeSocket(url);
    sockets.push(s);
    return s;
  };
  return { sockets, factory };
}
