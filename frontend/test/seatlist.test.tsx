// @vitest-environment jsdom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../src/api/client';
import { SeatMapModel } from '../src/seatmap/model';
import { SeatList } from '../src/show/SeatList';
import { ShowController } from '../src/show/controller';
import { hall } from './fixtures';

afterEach(() => {
  document.body.innerHTML = '';
});

describe('SeatList (the list alternative to the canvas)', () => {
  it('renders only the visible part of a long row, each seat a labelled button', () => {
    const model = SeatMapModel.fromMap(hall(2, 500, 1)); // two rows of 500 seats
    const controller = new ShowController('show-1', { api: {} as ApiClient });
    const root = document.createElement('div');
    document.body.appendChild(root);
    act(() => render(<SeatList controller={controller} model={model} tick={0} />, root));
    const items = root.querySelectorAll('[data-testid=seat-list-item]');
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThan(30); // virtualised: not 500 buttons
    const first = items[0] as HTMLButtonElement;
    expect(first.getAttribute('aria-label')).toMatch(/^Section 100, row A, seat 1, .*available$/);
    const li = first.closest('li')!;
    expect(li.getAttribute('aria-setsize')).toBe('500');
    expect(li.getAttribute('aria-posinset')).toBe('1');
  });

  it('shows live changes to the row and asks the controller to hold on click', () => {
    const model = SeatMapModel.fromMap(hall(1, 5, 1));
    const controller = new ShowController('show-1', { api: {} as ApiClient });
    const toggle = vi.spyOn(controller, 'toggleSeat').mockImplementation(() => undefined);
    const root = document.createElement('div');
    document.body.appendChild(root);
    act(() => render(<SeatList controller={controller} model={model} tick={0} />, root));
    act(() => {
      model.applyDiff({ type: 'diff', from_version: 1, version: 2, changes: [['S0-A-2', 'sold']] });
    });
    const second = root.querySelector('[data-seat-id="S0-A-2"]') as HTMLButtonElement;
    expect(second.dataset.status).toBe('sold');
    expect(second.getAttribute('aria-disabled')).toBe('true');
    act(() => (root.querySelector('[data-seat-id="S0-A-3"]') as HTMLButtonElement).click());
    expect(toggle).toHaveBeenCalledWith(model.indexOf('S0-A-3'));
  });
});
