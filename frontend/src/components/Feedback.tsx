/** Loading states, error banners and notices, used on every page. */
import type { ComponentChildren } from 'preact';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" role="status" data-testid="loading">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorBanner({ message, onRetry, children }: { message: string; onRetry?: () => void; children?: ComponentChildren }) {
  return (
    <div class="banner banner-error" role="alert" data-testid="error-banner">
      <p>{message}</p>
      {children}
      {onRetry && (
        <button type="button" class="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function InfoBanner({ children, testid }: { children: ComponentChildren; testid?: string }) {
  return (
    <div class="banner banner-info" data-testid={testid}>
      {children}
    </div>
  );
}
