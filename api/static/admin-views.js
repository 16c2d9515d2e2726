// The console's pages. Each `show*` loads its data from /v1/admin and renders it; actions go through the API.
import { api, upload, watchJob } from './admin-api.js';
import { fillTable, h, pct, tid, when } from './admin-ui.js';

const enc = encodeURIComponent;
let documents = [];

// --- documents ------------------------------------------------------------------------------------------
export async function showDocuments() {
  documents = (await api('/v1/admin/documents')).documents;
  renderDocuments();
  const replaces = tid('upload-replaces');
  const chosen = replaces.value;
  replaces.replaceChildren(
    h('option', { value: '' }, 'nothing: a new paper'),
    ...documents.map((d) => h('option', { value: d.document_id }, `${d.title} (${d.document_id})`)),
  );
  replaces.value = documents.some((d) => d.document_id === chosen) ? chosen : '';
}

const SORTS = {
  title: (a, b) => a.title.localeCompare(b.title),
  published: (a, b) => (b.published || '').localeCompare(a.published || ''),
  status: (a, b) => a.status.localeCompare(b.status) || a.title.localeCompare(b.title),
  chunks: (a, b) => b.chunks - a.chunks,
  updated: (a, b) => (b.updated_at || 0) - (a.updated_at || 0),
};

export function renderDocuments() {
  const q = tid('doc-search').value.trim().toLowerCase();
  const rows = documents
    .filter((d) => !q || [d.title, d.file, d.document_id, d.kind].some((v) => (v || '').toLowerCase().includes(q)))
    .sort(SORTS[tid('doc-sort').value] || SORTS.title);
  fillTable(tid('documents'), [
    ['Title', (d) => [h('strong', {}, d.title), h('br'), h('small', {}, d.document_id)]],
    ['File', (d) => d.file, 'wide-only'],
    ['Kind', (d) => d.kind, 'wide-only'],
    ['Published', (d) => d.published || ''],
    ['Audience', (d) => d.audience],
    ['Status', (d) => [
      h('span', { class: 'status', 'data-status': d.status, testid: 'status' }, d.status),
      d.error ? h('div', { class: 'reason', testid: 'reason' }, d.error) : null,
      d.superseded_by ? h('div', { class: 'note' }, `by ${d.superseded_by}`) : null,
      d.dropped ? h('div', { class: 'note' }, d.dropped) : null,
    ]],
    ['Passages', (d) => d.chunks, 'num'],
    ['Changed', (d) => when(d.updated_at), 'wide-only'],
    ['', (d) => h('div', { class: 'actions' },
      d.chunks ? h('button', { type: 'button', class: 'small', testid: 'show-passages', onclick: () => showPassages(d) }, 'Passages') : null,
      d.status === 'retired' || d.status === 'failed'
        ? h('button', { type: 'button', class: 'small', testid: 'restore', onclick: () => act(d, 'restore', 'POST') }, 'Restore')
        : h('button', { type: 'button', class: 'small', testid: 'retire', onclick: () => act(d, 'retire', 'POST') }, 'Retire'),
      h('button', { type: 'button', class: 'small', testid: 'reindex', onclick: () => act(d, 'reindex', 'POST') }, 'Re-index'),
      h('button', { type: 'button', class: 'small', testid: 'remove', onclick: () => act(d, '', 'DELETE') }, 'Remove'),
    )],
  ], rows, (d) => ({ 'data-document': d.document_id, testid: 'document-row' }));
}

async function act(doc, action, method) {
  const message = tid('doc-message');
  if (method === 'DELETE' && !window.confirm(`Remove “${doc.title}” and its passages?`)) return;
  const verb = { retire: 'Retiring', restore: 'Restoring', reindex: 'Re-indexing', '': 'Removing' }[action];
  message.textContent = `${verb} ${doc.title}…`;
  try {
    const path = `/v1/admin/documents/${enc(doc.document_id)}${action ? `/${action}` : ''}`;
    const { job_id: jobId } = await api(path, { method });
    const job = await watchJob(jobId, (p, stage) => { message.textContent = `${verb} ${doc.title}: ${stage} (${pct(p)})`; });
    message.textContent = job.status === 'done' ? `${doc.title}: done.` : `${doc.title}: failed: ${job.error}`;
  } catch (err) {
    message.textContent = `${doc.title}: ${err.message}`;
  }
  await showDocuments();
}

async function showPassages(doc) {
  const panel = tid('passages-panel');
  const { passages } = await api(`/v1/admin/documents/${enc(doc.document_id)}/passages`);
  tid('passages-title').textContent = `What the assistant reads from “${doc.title}” (${passages.length} passages)`;
  tid('passages').replaceChildren(...passages.map((p) => h('li', { testid: 'passage' },
    h('div', { class: 'where', testid: 'passage-where' },
      [p.section || '(no heading)', p.page ? `page ${p.page}` : null, p.hidden_text ? 'had hidden text' : null].filter(Boolean).join(' · ')),
    h('div', { class: 'text' }, p.text))));
  panel.hidden = false;
  panel.scrollIntoView({ block: 'start' });
}

// --- upload ---------------------------------------------------------------------------------------------
export async function submitUpload(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  for (const [name, value] of [...data.entries()]) if (value === '') data.delete(name);
  const bar = tid('upload-progress');
  const stage = tid('upload-stage');
  tid('upload-error').textContent = '';
  tid('upload-done').textContent = '';
  tid('upload-job').hidden = false;
  bar.value = 0;
  form.querySelector('button[type="submit"]').disabled = true;
  try {
    // the bytes are the first tenth of the bar; parsing, embedding and indexing the rest
    const started = await upload('/v1/admin/documents', data, (f) => { bar.value = 0.1 * f; stage.textContent = 'uploading'; });
    const job = await watchJob(started.job_id, (p, s) => { bar.value = Math.max(bar.value, 0.1 + 0.9 * p); stage.textContent = s; });
    if (job.status === 'done') {
      bar.value = 1;
      tid('upload-done').textContent = `Indexed ${started.document_id}: ${job.result.chunks} passages. It answers questions now.`;
      form.reset();
    } else {
      tid('upload-error').textContent = job.error;
    }
  } catch (err) {
    tid('upload-error').textContent = err.message;
    tid('upload-job').hidden = true;
  } finally {
    form.querySelector('button[type="submit"]').disabled = false;
    await showDocuments();
  }
}

// --- questions ------------------------------------------------------------------------------------------
export async function showQuestions() {
  const { groups } = await api('/v1/admin/unanswered');
  tid('unanswered').replaceChildren(...groups.map((g) => h('li', { testid: 'unanswered-group' },
    h('span', { class: 'count', testid: 'group-count' }, `${g.count}×`),
    h('span', { testid: 'group-question' }, g.question),
    h('div', { class: 'note' }, `latest ${when(g.latest_at)} · none ${g.outcomes.none}, related ${g.outcomes.related}`),
    g.count > 1 ? h('ul', {}, g.questions.slice(1).map((q) => h('li', {}, q.question))) : null)));
  if (!groups.length) tid('unanswered').append(h('li', {}, 'No unanswered questions yet.'));
  const outcome = tid('question-outcome').value;
  const { questions } = await api(`/v1/admin/questions${outcome ? `?outcome=${enc(outcome)}` : ''}`);
  fillTable(tid('questions'), [
    ['Asked', (q) => when(q.at)],
    ['Question', (q) => q.question],
    ['Outcome', (q) => h('span', { testid: 'question-outcome-cell' }, q.outcome)],
    ['Confidence', (q) => pct(q.confidence), 'num'],
    ['Cited', (q) => [...new Set(q.citations.map((c) => c.document_id))].join(', ')],
    ['', (q) => h('button', { type: 'button', class: 'small', testid: 'gold-candidate', onclick: () => goldCandidate(q) }, 'Gold-set candidate')],
  ], questions, () => ({ testid: 'question-row' }));
}

async function goldCandidate(q) {
  const message = tid('question-message');
  try {
    const made = await api('/v1/admin/gold-candidates', { method: 'POST', json: { answer_id: q.answer_id } });
    message.textContent = `Added as ${made.draft.id} to ${made.file}: review it before it joins the gold set.`;
  } catch (err) {
    message.textContent = err.message;
  }
}

// --- feedback -------------------------------------------------------------------------------------------
export async function showFeedback() {
  const rating = tid('feedback-rating').value;
  tid('feedback-export').href = `/v1/admin/feedback.csv${rating ? `?rating=${enc(rating)}` : ''}`;
  const { feedback } = await api(`/v1/admin/feedback${rating ? `?rating=${enc(rating)}` : ''}`);
  tid('feedback').replaceChildren(...feedback.map((f) => h('li', { testid: 'feedback-item', 'data-rating': f.rating },
    h('strong', {}, f.rating === 'up' ? '👍 ' : '👎 '), h('span', { testid: 'feedback-question' }, f.question),
    h('div', { class: 'note' }, `${when(f.at)} · ${f.outcome || ''} · cites ${[...new Set(f.citations.map((c) => c.document_id))].join(', ') || 'nothing'}`),
    f.comment ? h('p', {}, `“${f.comment}”`) : null,
    h('details', {}, h('summary', {}, 'The answer'), h('p', { class: 'text' }, f.answer)))));
  if (!feedback.length) tid('feedback').append(h('li', {}, 'No feedback yet.'));
}

// --- evaluations ----------------------------------------------------------------------------------------
export async function showEvaluations() {
  const { reports } = await api('/v1/admin/evals');
  const first = (r) => (r.modes && r.summary ? r.summary[r.modes[0]] : {}) || {};
  fillTable(tid('reports'), [
    ['', (r) => h('input', { type: 'checkbox', value: r.name, 'aria-label': `compare ${r.name}`, testid: 'report-pick' })],
    ['Created', (r) => r.created],
    ['Questions', (r) => r.items, 'num'],
    ['Modes', (r) => (r.modes || []).join(', ')],
    ['hit@1', (r) => fmt(first(r).hit_at_1), 'num'],
    ['MRR', (r) => fmt(first(r).mrr), 'num'],
    ['', (r) => h('a', { href: `/v1/admin/evals/${enc(r.name)}/html`, target: '_blank', rel: 'noopener', testid: 'report-open' }, 'Open')],
  ], reports, () => ({ testid: 'report-row' }));
}

const fmt = (x) => (typeof x === 'number' ? x.toFixed(3) : '');

export async function submitEval(event) {
  event.preventDefault();
  const form = event.target;
  const modes = [...form.querySelectorAll('input[name="mode"]:checked')].map((i) => i.value);
  const body = { modes, k: Number(form.k.value || 5) };
  if (form.limit.value) body.limit = Number(form.limit.value);
  tid('eval-error').textContent = '';
  tid('eval-job').hidden = false;
  const bar = tid('eval-progress');
  bar.value = 0;
  try {
    const { job_id: jobId } = await api('/v1/admin/evals', { method: 'POST', json: body });
    const job = await watchJob(jobId, (p, s) => { bar.value = p; tid('eval-stage').textContent = s; }, 500);
    if (job.status === 'failed') tid('eval-error').textContent = job.error;
    else tid('eval-stage').textContent = `done: ${job.result.report}`;
  } catch (err) {
    tid('eval-error').textContent = err.message;
  }
  await showEvaluations();
}

export async function compareReports() {
  const picked = [...document.querySelectorAll('[data-testid="report-pick"]:checked')].map((i) => i.value).sort();
  const out = tid('eval-output');
  if (picked.length !== 2) {
    out.textContent = 'Tick exactly two reports.';
    return;
  }
  try {
    const changes = await api(`/v1/admin/evals/compare?old=${enc(picked[0])}&new=${enc(picked[1])}`);
    out.textContent = changes.text;
  } catch (err) {
    out.textContent = err.message;
  }
}

// --- audit ----------------------------------------------------------------------------------------------
export async function showAudit() {
  const { entries } = await api('/v1/admin/audit');
  fillTable(tid('audit'), [
    ['When', (e) => when(e.at)],
    ['Who', (e) => e.actor],
    ['What', (e) => e.action],
    ['On', (e) => e.target],
    ['Detail', (e) => e.detail],
  ], entries, () => ({ testid: 'audit-row' }));
}
