// @vitest-environment jsdom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { matchRoute } from '../src/lib/router';
import { session } from '../src/lib/session';
import { VerifyEmailPage } from '../src/pages/VerifyEmailPage';
import { DrawCheck } from '../src/queue/DrawCheck';
import {
  canonicalEntries,
  commitmentOf,
  DRAW_ALGORITHM,
  drawOrder,
  entriesHash,
  fromHex,
  placementOf,
  toHex,
  type PublishedDraw,
} from '../src/queue/draw';

// Ten verified early arrivals drawn (numbers 1..10), three unverified ones after them (11..13), then the late.
// (The vectors file is out of reach of a jsdom run's imports; a draw made here with draw.ts is as good.)
const SEED = toHex(new Uint8Array(32).map((_, k) => k * 7 + 1));
const ENTRIES = canonicalEntries(Array.from({ length: 10 }, (_, k) => `q${k}-${'abcdefghij'[k]}`));
let PUBLISHED: PublishedDraw & { drawn: boolean; entries_closed_at: string };
let ORDER: string[];
beforeAll(async () => {
  PUBLISHED = {
    algorithm: DRAW_ALGORITHM,
    commitment: await commitmentOf(fromHex(SEED)),
    entries_closed_at: '2026-12-01T18:00:00Z',
    drawn: true,
    seed: SEED,
    entries_hash: await entriesHash(ENTRIES),
    entries_count: ENTRIES.length,
    entries: ENTRIES,
    placed_after_count: 3,
  };
  ORDER = await drawOrder(fromHex(SEED), ENTRIES);
});
const UNVERIFIED = 'q-not-drawn';

describe('where a fan stands relative to the draw', () => {
  it('is drawn when the queue id is among the entries', () => {
    expect(placementOf(PUBLISHED, ORDER[0]!, 1)).toEqual({ kind: 'drawn' });
  });

  it('is placed after the draw with a number just past the drawn ones, up to placed_after_count', () => {
    for (const number of [11, 12, 13]) {
      expect(placementOf(PUBLISHED, UNVERIFIED, number)).toEqual({
        kind: 'placed_after',
        number,
        drawnCount: 10,
        placedAfterCount: 3,
      });
    }
  });

  it('joined after the opening when the number is past the unverified early arrivals too', () => {
    expect(placementOf(PUBLISHED, UNVERIFIED, 14)).toEqual({ kind: 'late' });
    // Nobody was placed after the draw (or an older server that does not say): past the drawn numbers is late.
    expect(placementOf({ ...PUBLISHED, placed_after_count: 0 }, UNVERIFIED, 11)).toEqual({ kind: 'late' });
    const { placed_after_count: _, ...older } = PUBLISHED;
    expect(placementOf(older, UNVERIFIED, 11)).toEqual({ kind: 'late' });
  });

  it('is a mismatch, not an explanation, when a drawn number belongs to a queue id missing from the entries', () => {
    expect(placementOf(PUBLISHED, UNVERIFIED, 10)).toEqual({ kind: 'missing' });
    expect(placementOf(PUBLISHED, UNVERIFIED, 1)).toEqual({ kind: 'missing' });
  });
});

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

// What GET .../queue/draw answers (the published draw unless a test says otherwise).
let drawAnswer: () => unknown = () => PUBLISHED;

function stubServer(sendAnswer: () => Response = () => json(202, { sent: true })) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url === '/api/v1/shows/s1/queue/draw') return json(200, drawAnswer());
    if (url === '/api/v1/auth/verify-email/send' && init?.method === 'POST') return sendAnswer();
    if (url === '/api/v1/auth/verify-email' && init?.method === 'POST') {
      const { token } = JSON.parse(String(init.body)) as { token: string };
      if (token === 'good') return json(200, { profile_id: 'p1', email: 'a@b.c', name: 'A', email_verified: true });
      return json(422, { error: 'invalid_token', detail: 'This verification link is not valid.' });
    }
    return json(404, { error: 'not_found', detail: `unexpected ${url}` });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

let root: HTMLElement;
beforeEach(() => {
  drawAnswer = () => PUBLISHED;
  localStorage.clear();
  session.set({ status: 'signed_in', profile: { profile_id: 'p1', email: 'a@b.c', name: 'A', email_verified: false } });
  root = document.createElement('div');
  document.body.appendChild(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.unstubAllGlobals();
});
// Preact runs effects after paint: requestAnimationFrame raced by a 100 ms timer that then calls
// cancelAnimationFrame. On a loaded machine that timer can outlive the file's jsdom (an unhandled
// "cancelAnimationFrame is not defined", which fails the run): let it fire while jsdom still exists.
afterAll(() => new Promise((resolve) => setTimeout(resolve, 150)));

const panel = () => root.querySelector<HTMLElement>('[data-testid=draw-check]');

describe('DrawCheck panel', () => {
  it('explains to an unverified early arrival why they are not among the entries, and offers the verification mail', async () => {
    const fetch = stubServer();
    await act(async () => render(<DrawCheck showId="s1" queueId={UNVERIFIED} number={12} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('placed_after'));
    const text = root.querySelector('[data-testid=draw-placed-after]')!.textContent!;
    expect(text).toContain('not verified');
    expect(text).toContain('placed after the 10 drawn places, in the order they joined');
    expect(text).toContain('numbers 11 to 13');
    expect(text).toContain('your number is 12');
    expect(root.textContent).not.toContain('✗');
    expect(root.textContent).not.toContain('after the sale opened');
    const send = root.querySelector<HTMLButtonElement>('[data-testid=draw-verify-send]')!;
    await act(async () => send.click());
    await vi.waitFor(() => expect(root.querySelector('[data-testid=draw-verify-sent]')?.textContent).toContain('We sent you an e-mail'));
    expect(fetch).toHaveBeenCalledWith('/api/v1/auth/verify-email/send', expect.objectContaining({ method: 'POST' }));
  });

  it('says so when the mails are rate limited', async () => {
    stubServer(() => json(429, { error: 'rate_limited', detail: 'later' }));
    await act(async () => render(<DrawCheck showId="s1" queueId={UNVERIFIED} number={11} />, root));
    await vi.waitFor(() => expect(root.querySelector('[data-testid=draw-verify-send]')).not.toBeNull());
    await act(async () => root.querySelector<HTMLButtonElement>('[data-testid=draw-verify-send]')!.click());
    await vi.waitFor(() => expect(root.querySelector('[data-testid=draw-verify-error]')?.textContent).toContain('a few per hour'));
  });

  it('offers no mail to a fan verified since the draw', async () => {
    session.set({ status: 'signed_in', profile: { profile_id: 'p1', email: 'a@b.c', name: 'A', email_verified: true } });
    stubServer();
    await act(async () => render(<DrawCheck showId="s1" queueId={UNVERIFIED} number={13} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('placed_after'));
    expect(root.querySelector('[data-testid=draw-verify-hint]')?.getAttribute('data-verified')).toBe('true');
    expect(root.querySelector('[data-testid=draw-verify-send]')).toBeNull();
  });

  it('tells a fan who joined after the opening that their place was not drawn', async () => {
    stubServer();
    await act(async () => render(<DrawCheck showId="s1" queueId={UNVERIFIED} number={14} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('late'));
    expect(root.textContent).toContain('You joined after the sale opened');
  });

  it('still checks a drawn fan’s number, ✓', async () => {
    stubServer();
    await act(async () => render(<DrawCheck showId="s1" queueId={ORDER[3]!} number={4} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('checked'));
    expect(root.querySelector('[data-testid=draw-check-result]')?.getAttribute('data-ok')).toBe('true');
    // `--queue-id=ID`, not `--queue-id ID`: a queue id may start with "-", which argparse takes for an option
    expect(root.textContent).toContain(`just verify-draw s1 --queue-id=${ORDER[3]!} --number 4`);
  });

  it('keeps the commitment it showed before the opening and checks the revealed seed against it', async () => {
    stubServer();
    const before = { ...PUBLISHED, drawn: false, seed: null, entries: null, entries_hash: null, entries_count: null };
    // A seed swapped after the opening comes with its own commitment: the published data agree with each other.
    const swappedSeed = toHex(new Uint8Array(32).map((_, k) => 255 - k));
    const swappedOrder = await drawOrder(fromHex(swappedSeed), ENTRIES);
    const swapped = { ...PUBLISHED, seed: swappedSeed, commitment: await commitmentOf(fromHex(swappedSeed)) };
    const mine = swappedOrder[0]!;
    const seedLine = () => root.querySelector<HTMLElement>('[data-testid=draw-seed-line]');

    drawAnswer = () => before;
    await act(async () => render(<DrawCheck showId="s1" queueId={mine} number={null} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('committed'));
    expect(root.querySelector('[data-testid=draw-commitment]')?.textContent).toBe(PUBLISHED.commitment);

    drawAnswer = () => swapped; // the sale opens, the number arrives
    await act(async () => render(<DrawCheck showId="s1" queueId={mine} number={1} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('checked'));
    expect(root.querySelector('[data-testid=draw-check-result]')?.getAttribute('data-ok')).toBe('false');
    expect(seedLine()?.dataset.ok).toBe('false');
    expect(seedLine()?.textContent).toContain('the one this page showed before the sale opened');

    // The honest draw passes against the same noted commitment.
    render(null, root);
    drawAnswer = () => PUBLISHED;
    await act(async () => render(<DrawCheck showId="s1" queueId={ORDER[0]!} number={1} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('checked'));
    expect(root.querySelector('[data-testid=draw-check-result]')?.getAttribute('data-ok')).toBe('true');
    expect(seedLine()?.dataset.ok).toBe('true');
  });

  it('compares with the published commitment alone when it saw none before the opening', async () => {
    stubServer();
    const swappedSeed = toHex(new Uint8Array(32).map((_, k) => 255 - k));
    const swapped = { ...PUBLISHED, seed: swappedSeed, commitment: await commitmentOf(fromHex(swappedSeed)) };
    drawAnswer = () => swapped;
    const mine = (await drawOrder(fromHex(swappedSeed), ENTRIES))[0]!;
    await act(async () => render(<DrawCheck showId="s1" queueId={mine} number={1} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('checked'));
    expect(root.querySelector('[data-testid=draw-check-result]')?.getAttribute('data-ok')).toBe('true');
    expect(root.querySelector('[data-testid=draw-seed-line]')?.textContent).not.toContain('before the sale opened');
  });

  it('shows ✗ for a queue id missing from the entries that claims a drawn number', async () => {
    stubServer();
    await act(async () => render(<DrawCheck showId="s1" queueId={UNVERIFIED} number={4} />, root));
    await vi.waitFor(() => expect(panel()?.dataset.state).toBe('checked'));
    expect(root.querySelector('[data-testid=draw-check-result]')?.getAttribute('data-ok')).toBe('false');
  });
});

describe('the verification link', () => {
  it('is a route of the app', () => {
    expect(matchRoute('/verify-email')).toEqual({ name: 'verify-email' });
  });

  it('confirms the address with the token and tells the signed-in fan at once', async () => {
    stubServer();
    await act(async () => render(<VerifyEmailPage search="?token=good" />, root));
    const page = () => root.querySelector<HTMLElement>('[data-testid=verify-email-page]');
    await vi.waitFor(() => expect(page()?.dataset.state).toBe('verified'));
    expect(page()?.textContent).toContain('a@b.c is verified');
    const now = session.get();
    expect(now.status === 'signed_in' && now.profile.email_verified).toBe(true);
  });

  it('says when the link is not valid', async () => {
    stubServer();
    await act(async () => render(<VerifyEmailPage search="?token=forged" />, root));
    await vi.waitFor(() =>
      expect(root.querySelector<HTMLElement>('[data-testid=verify-email-page]')?.dataset.state).toBe('failed'),
    );
    expect(root.textContent).toContain('This verification link is not valid.');
  });
});
