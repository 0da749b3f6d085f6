/**
 * The sale's figures, as the dashboard socket (or its polling fallback) last sent them. The numbers are plain text
 * and not live regions: they change every second, and a screen reader reading each change would drown the page;
 * the page announces a summary now and then instead (CockpitPage). Each figure carries its raw value in `data-value`.
 */
import type { ComponentChildren } from 'preact';
import type { Dashboard } from '../../api/organizerTypes';
import { count, latency, perMinute, revenue, share, type Sample } from '../dashboard';
import { Sparkline } from './Sparkline';

function Stat({ label, value, raw, testid, note, children, tone }: { label: string; value: string; raw: number | null; testid: string; note?: string; children?: ComponentChildren; tone?: string }) {
  return (
    <div class={`stat ${tone ? `stat-${tone}` : ''}`} data-testid={testid} data-value={raw ?? ''}>
      <dt>{label}</dt>
      <dd>
        <span class="stat-value">{value}</span>
        {note && <span class="stat-note">{note}</span>}
        {children}
      </dd>
    </div>
  );
}

export function SeatCounters({ d }: { d: Dashboard | null }) {
  const s = d?.seats;
  const total = s ? s.available + s.held + s.sold : 0;
  const width = (n: number) => `${total ? (n / total) * 100 : 0}%`;
  return (
    <section class="card cockpit-card" aria-labelledby="seats-title" data-testid="seat-counters">
      <h2 id="seats-title" class="h3">
        Seats
      </h2>
      <dl class="stats stats-3">
        <Stat label="Available" value={count(s?.available)} raw={s?.available ?? null} testid="stat-available" note={s ? share(s.available, total) : undefined} tone="available" />
        <Stat label="Held" value={count(s?.held)} raw={s?.held ?? null} testid="stat-held" note={s ? share(s.held, total) : undefined} tone="held" />
        <Stat label="Sold" value={count(s?.sold)} raw={s?.sold ?? null} testid="stat-sold" note={s ? share(s.sold, total) : undefined} tone="sold" />
      </dl>
      <div class="seat-bar" aria-hidden="true">
        <span class="seat-bar-sold" style={{ width: width(s?.sold ?? 0) }} />
        <span class="seat-bar-held" style={{ width: width(s?.held ?? 0) }} />
      </div>
      <p class="seat-total muted small">
        <span>{s ? `${count(total)} seats in all` : ''}</span>
        <span class="key key-sold" aria-hidden="true">
          sold
        </span>
        <span class="key key-held" aria-hidden="true">
          held
        </span>
        <span class="key key-available" aria-hidden="true">
          available
        </span>
      </p>
    </section>
  );
}

export function MoneyCounters({ d, history }: { d: Dashboard | null; history: readonly Sample[] }) {
  return (
    <section class="card cockpit-card" aria-labelledby="money-title" data-testid="money-counters">
      <h2 id="money-title" class="h3">
        Orders and money
      </h2>
      <dl class="stats stats-3">
        <Stat label="Revenue" value={d ? revenue(d.revenue_cents, d.currency) : '—'} raw={d?.revenue_cents ?? null} testid="stat-revenue" />
        <Stat label="Paid orders per minute" value={perMinute(d?.paid_per_minute)} raw={d?.paid_per_minute ?? null} testid="stat-paid-per-minute">
          <Sparkline values={history.map((h) => h.paidPerMinute)} />
        </Stat>
        <Stat
          label="Payment to paid"
          value={`${latency(d?.payment_to_paid_ms?.p50)} p50`}
          raw={d?.payment_to_paid_ms?.p50 ?? null}
          testid="stat-latency"
          note={`${latency(d?.payment_to_paid_ms?.p99)} p99`}
        />
      </dl>
      <dl class="stats stats-3 stats-small">
        <Stat label="Paid orders" value={count(d?.orders.paid)} raw={d?.orders.paid ?? null} testid="stat-orders-paid" />
        <Stat label="Awaiting payment" value={count(d?.orders.pending_payment)} raw={d?.orders.pending_payment ?? null} testid="stat-orders-pending" />
        <Stat label="Refunded" value={count(d?.orders.refunded)} raw={d?.orders.refunded ?? null} testid="stat-orders-refunded" />
      </dl>
    </section>
  );
}

export function QueueCounters({ d, history }: { d: Dashboard | null; history: readonly Sample[] }) {
  const q = d?.queue ?? null;
  return (
    <dl class="stats stats-3" data-testid="queue-counters">
      <Stat label="Waiting" value={count(q?.waiting)} raw={q?.waiting ?? null} testid="stat-waiting">
        <Sparkline values={history.map((h) => h.waiting ?? 0)} />
      </Stat>
      <Stat label="Serving" value={count(q?.serving)} raw={q?.serving ?? null} testid="stat-serving" note="numbers let in so far" />
      <Stat label="Admitted per minute" value={perMinute(q?.admitted_per_minute)} raw={q?.admitted_per_minute ?? null} testid="stat-admitted-per-minute" />
    </dl>
  );
}
