import { ParleyClient } from '../../../src/shared/client.js';

export { api } from '../../../src/shared/api/index.js';

declare const __PARLEY_VERSION__: string;

/** The version the web client reports in `Parley-Client` (the server may refuse old clients). */
export const WEB_VERSION = typeof __PARLEY_VERSION__ === 'string' ? __PARLEY_VERSION__ : '0.0.0';

/** Same-origin client; the httpOnly session cookie authenticates every call. */
export const client = new ParleyClient({ baseUrl: '', credentials: 'include', clientName: `web/${WEB_VERSION}` });
