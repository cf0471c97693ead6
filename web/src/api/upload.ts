/**
 * Multipart upload with progress. `fetch` cannot report upload progress, so this one call
 * uses XMLHttpRequest; it sends the CSRF header like the typed client and turns a failure
 * into the same ApiError.
 */
import { csrfToken } from './client';
import { ApiError, networkError, type Problem } from './problem';

export function uploadWithProgress<T>(url: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.withCredentials = true;
    const token = csrfToken();
    if (token) request.setRequestHeader('X-CSRF-Token', token);
    request.setRequestHeader('Accept', 'application/json');
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(networkError());
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve(body as T);
        return;
      }
      const problem = body as Partial<Problem> | null;
      reject(
        new ApiError({
          type: problem?.type ?? 'about:blank',
          title: problem?.title ?? (request.statusText || 'Upload failed'),
          status: request.status,
          detail: problem?.detail ?? '',
          errors: problem?.errors,
        }),
      );
    };
    request.send(form);
  });
}
