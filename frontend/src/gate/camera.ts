/**
 * The camera as a QR reader through the browser's BarcodeDetector (Chromium on Android, macOS and ChromeOS, Safari);
 * where it is missing the page offers only the text field, which a hand-held scanner types into.
 */

interface Detector {
  detect(source: CanvasImageSource): Promise<Array<{ rawValue: string }>>;
}

type DetectorClass = new (options: { formats: string[] }) => Detector;

export function cameraSupported(): boolean {
  return 'BarcodeDetector' in globalThis && !!navigator.mediaDevices?.getUserMedia;
}

/** Reads QR codes from the camera into `onCode` until the returned function is called. */
export async function startCamera(video: HTMLVideoElement, onCode: (code: string) => void): Promise<() => void> {
  const Detector = (globalThis as unknown as { BarcodeDetector: DetectorClass }).BarcodeDetector;
  const detector = new Detector({ formats: ['qr_code'] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  video.srcObject = stream;
  await video.play();
  let last = '';
  let lastAt = 0;
  const timer = setInterval(async () => {
    try {
      for (const found of await detector.detect(video)) {
        // The same code held in front of the camera is one scan, not four a second.
        if (found.rawValue === last && Date.now() - lastAt < 3000) continue;
        last = found.rawValue;
        lastAt = Date.now();
        onCode(found.rawValue);
      }
    } catch {
      /* a frame that could not be read */
    }
  }, 250);
  return () => {
    clearInterval(timer);
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
}
