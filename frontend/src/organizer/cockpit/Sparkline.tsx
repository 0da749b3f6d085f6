/** A small line of a figure's last minutes, drawn for the eye only (the figure itself is in text beside it). */
import { sparkline } from '../dashboard';

export function Sparkline({ values, width = 120, height = 28 }: { values: readonly number[]; width?: number; height?: number }) {
  const points = sparkline(values, width, height);
  return (
    <svg class="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true" focusable="false">
      {points && <polyline points={points} fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" />}
    </svg>
  );
}
