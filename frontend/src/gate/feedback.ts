/** A sound per verdict, so staff need not look at the screen for every fan: one high beep lets in, low ones stop. */
import type { ScanResult } from './scanLog';

const TONES: Record<ScanResult, Array<[number, number]>> = {
  valid: [[880, 0.15]],
  already_scanned: [[440, 0.15], [440, 0.15]],
  expired: [[330, 0.3]],
  invalid: [[220, 0.5]],
};

let audio: AudioContext | null = null;

export function beep(result: ScanResult): void {
  try {
    audio ??= new AudioContext();
    let at = audio.currentTime;
    for (const [hz, seconds] of TONES[result]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + seconds);
      at += seconds + 0.08;
    }
  } catch {
    /* no audio device: the colours still tell */
  }
}
