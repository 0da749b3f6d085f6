/** Who is signed in (cookie session; GET /api/v1/auth/me tells). */
import { ApiError, api } from '../api/client';
import type { Profile } from '../api/types';
import { createStore, useStore } from './store';

/**
 * `unreachable`: the server could not say (no network, or it failed): nobody is known to be signed in, and the
 * next `online` event asks again. The gate scanner then carries on with what this device already holds.
 */
export type Session =
  | { status: 'loading' }
  | { status: 'signed_out'; unreachable?: boolean }
  | { status: 'signed_in'; profile: Profile };

export const session = createStore<Session>({ status: 'loading' });

export function useSession(): Session {
  return useStore(session);
}

export async function loadSession(): Promise<void> {
  try {
    const profile = await api.me();
    session.set({ status: 'signed_in', profile });
  } catch (e) {
    // 401 means signed out; any other failure also leaves the fan signed out for now,
    // and the first call that needs a session will say what is wrong.
    const unreachable = e instanceof ApiError && (e.status === 0 || e.status >= 500);
    session.set(unreachable ? { status: 'signed_out', unreachable } : { status: 'signed_out' });
    if (unreachable && typeof window !== 'undefined') window.addEventListener('online', askAgain, { once: true });
  }
}

function askAgain(): void {
  const now = session.get();
  if (now.status === 'signed_out' && now.unreachable) void loadSession();
}

export async function signIn(email: string, password: string): Promise<Profile> {
  const profile = await api.login({ email, password });
  session.set({ status: 'signed_in', profile });
  return profile;
}

export async function register(name: string, email: string, password: string): Promise<Profile> {
  const profile = await api.register({ name, email, password });
  session.set({ status: 'signed_in', profile });
  return profile;
}

export async function signOut(): Promise<void> {
  try {
    await api.logout();
  } finally {
    session.set({ status: 'signed_out' });
  }
}

/** An organization's staff (API.md, "Organizers"): the role opens the pages under /organizer. */
export function isOrganizer(profile: Profile): boolean {
  // Compared as a string: the generated type learns the `organizer` role once the backend's document has it.
  return (profile.role as string | undefined) === 'organizer';
}

/** Call when the server answers 401: the cookie is gone or expired. */
export function sessionExpired(): void {
  if (session.get().status === 'signed_in') session.set({ status: 'signed_out' });
}
