import { createContext, useContext } from 'react';
import type { Me } from '../../src/shared/api/auth.js';

export interface Session {
  me: Me;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}
