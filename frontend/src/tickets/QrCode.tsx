/**
 * A ticket's QR code, drawn on a canvas by the `qrcode` library (loaded on demand, so it
 * is not part of the initial bundle). Error correction M: survives a scratched screen.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export function QrCode({ value, label, size = 176, kind = 'static' }: { value: string; label: string; size?: number; kind?: 'rotating' | 'static' }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let cancelled = false;
    import('qrcode')
      .then((mod) => {
        if (cancelled || !ref.current) return;
        // CommonJS package: the functions may sit on the default export.
        const QR = (mod as unknown as { default?: typeof mod }).default ?? mod;
        return QR.toCanvas(ref.current, value, { errorCorrectionLevel: 'M', margin: 2, width: size });
      })
      .catch(() => !cancelled && setFailed(true));
    return () => {
      cancelled = true;
    };
  }, [value, size]);

  if (failed) return <p class="muted small">The QR code could not be drawn. Show this code at the gate: {value}</p>;
  return <canvas ref={ref} class="qr" role="img" aria-label={label} width={size} height={size} data-testid="ticket-qr" data-code={value} data-kind={kind} />;
}
