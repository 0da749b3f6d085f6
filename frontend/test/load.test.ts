import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/client';
import { loadSeatMap } from '../src/seatmap/load';
import { hall } from './fixtures';
import { encodeFixture } from './layoutFixtures';

function fakeApi(layoutUrl: string) {
  const fixture = encodeFixture(hall(2, 3, 1));
  return {
    getMapStatus: vi.fn(async () => ({ ...fixture.status, layout: layoutUrl })),
    getLayout: vi.fn(async () => fixture.layout.slice(0)),
  };
}

describe('loading a seat map', () => {
  it('fetches and decodes a layout once per URL, the status every time', async () => {
    const api = fakeApi('/api/v1/venues/1/layouts/aaa');
    const first = await loadSeatMap(api, 'show-1');
    const second = await loadSeatMap(api, 'show-1');
    expect(api.getMapStatus).toHaveBeenCalledTimes(2);
    expect(api.getLayout).toHaveBeenCalledTimes(1);
    expect(api.getLayout).toHaveBeenCalledWith('/api/v1/venues/1/layouts/aaa');
    expect(second.size).toBe(first.size);
    // Two models over one layout: live state is each model's own.
    first.markStatus(['1000'], 'sold');
    expect(second.statusName(second.indexOf('1000'))).toBe('available');
  });

  it('fetches a layout with another hash again, and retries one that failed', async () => {
    const api = fakeApi('/api/v1/venues/1/layouts/bbb');
    api.getLayout.mockRejectedValueOnce(new ApiError(0, 'network_error', 'offline'));
    await expect(loadSeatMap(api, 'show-1')).rejects.toThrow('offline');
    await loadSeatMap(api, 'show-1');
    expect(api.getLayout).toHaveBeenCalledTimes(2);
  });
});
