// "Edit POS" kept current: the POS re-read every few seconds (conditional: 304 while nothing changed), and a running
// deletion followed to its end (one follower at a time).
import { api, LIVE_POLL_MS, NOT_MODIFIED, seg } from '../api.js';
import { followDeletion } from './pos_deletion.js';

/**
 * `onChange(device)` with each new version of the POS; ticks are skipped while `paused()`. `refresh()` reads it at
 * once (not conditionally: the caller wants it now). Stops when `signal` aborts.
 */
export function liveDevice(deviceId, { signal, paused, onChange }) {
  let etag = null;
  async function read(conditional) {
    try {
      const fresh = await api.get(`/v1/pos_devices/${seg(deviceId)}`, {
        signal, ifNoneMatch: conditional ? etag : null, onEtag: (tag) => { etag = tag; },
      });
      if (fresh === NOT_MODIFIED || (conditional && paused())) return;
      onChange(fresh);
    } catch (error) {
      if (error.name !== 'AbortError') console.warn(error);
    }
  }
  const timer = setInterval(() => { if (!document.hidden && !paused()) read(true); }, LIVE_POLL_MS);
  signal?.addEventListener('abort', () => clearInterval(timer));
  return { refresh: () => read(false) };
}

/**
 * Follows the deletion: `onProgress(deletion)` while it runs, `onEnd(deletion)` once it has ended, `onError(error)`
 * when the API cannot be reached. `start()` while already following does nothing.
 */
export function deletionFollower(deviceId, { signal, onProgress, onEnd, onError }) {
  let following = false;
  return {
    get following() {
      return following;
    },
    async start() {
      if (following) return;
      following = true;
      try {
        const deletion = await followDeletion(deviceId, { signal, onProgress, onError });
        if (deletion) await onEnd(deletion);
      } catch (error) {
        if (error.name !== 'AbortError') throw error;
      } finally {
        following = false;
      }
    },
  };
}
