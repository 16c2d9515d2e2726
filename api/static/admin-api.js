// Talking to /v1/admin: the session cookie travels by itself (same origin); every state-changing call carries the
// session's CSRF token in X-CSRF-Token, which only this page knows (it is never in a cookie).

let csrf = null;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCsrf(token) {
  csrf = token;
}

export async function api(path, { method = 'GET', json, form } = {}) {
  const headers = {};
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data?.error?.message || `${response.status} ${response.statusText}`);
  }
  return data;
}

// An upload, with the bytes' progress (fetch cannot report it): resolves to the JSON reply.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data?.error?.message || `${xhr.status} ${xhr.statusText}`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'the upload did not reach the service'));
    xhr.send(form);
  });
}

// Poll a background job until it is done or failed, reporting (fraction, stage) on the way.
export async function watchJob(jobId, onProgress, intervalMs = 300) {
  for (;;) {
    const job = await api(`/v1/admin/jobs/${encodeURIComponent(jobId)}`);
    onProgress(job.progress, job.stage);
    if (job.status === 'done' || job.status === 'failed') return job;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
