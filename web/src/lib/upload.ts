import { ApiError } from '../../../src/shared/client.js';
import type { ErrorBody } from '../../../src/shared/errors.js';
import type { FileInfo } from '../../../src/shared/api/shapes.js';
import { WEB_VERSION } from './client.js';

/** The upload and download URLs of the files API (binary, so not JSON route definitions). */
export function uploadUrl(conversationId: string, name: string): string {
  return `/api/v1/files?${new URLSearchParams({ conversationId, name }).toString()}`;
}

export function fileUrl(id: string, inline = false): string {
  return `/api/v1/files/${encodeURIComponent(id)}${inline ? '?inline=1' : ''}`;
}

/** The file of an upload answer, whether it is `{file}` or the file itself. */
export function fileOfAnswer(v: unknown): FileInfo | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as { file?: unknown; id?: unknown };
  if (o.file && typeof o.file === 'object') return o.file as FileInfo;
  if (typeof o.id === 'string') return v as FileInfo;
  return null;
}

export interface Upload {
  promise: Promise<FileInfo>;
  abort(): void;
}

/**
 * Streams a file to the server with XMLHttpRequest, the one browser API that reports upload
 * progress. Errors come back as ApiError like every other call.
 */
export function uploadFile(conversationId: string, file: File, onProgress: (fraction: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<FileInfo>((resolve, reject) => {
    xhr.open('POST', uploadUrl(conversationId, file.name));
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('parley-client', `web/${WEB_VERSION}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        const f = fileOfAnswer(body);
        if (f) {
          onProgress(1);
          resolve(f);
          return;
        }
      }
      const err =
        body && typeof body === 'object' && 'error' in body
          ? (body as ErrorBody)
          : { error: { code: `http_${xhr.status}`, message: xhr.statusText || 'Upload failed' } };
      reject(new ApiError(xhr.status, err));
    };
    xhr.onerror = () => reject(new TypeError('Upload failed: the server could not be reached'));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}
