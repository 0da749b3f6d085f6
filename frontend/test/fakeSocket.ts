import type { SocketLike } from '../src/lib/socket';

/** A scriptable stand-in for WebSocket. */
export class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
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
  drop() {
    this.closed = true;
    this.onclose?.({});
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
