import { isHostFactoryError } from '../errors';

/**
 * Runs `attempt` again from fresh state when it loses a versioned-write race (CONFLICT), up to
 * `times` runs in all; other errors, and the last conflict, are thrown.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, times = 8): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await attempt();
    } catch (error) {
      if (run >= times || !isHostFactoryError(error) || error.code !== 'CONFLICT') throw error;
    }
  }
}
