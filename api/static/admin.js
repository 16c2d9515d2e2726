// The staff console: sign in with an admin key, then one tab per job. No build step, no CDN.
import { ApiError, api, setCsrf } from './admin-api.js';
import { tid } from './admin-ui.js';
import {
  compareReports, renderDocuments, showAudit, showDocuments, showEvaluations, showFeedback, showQuestions, submitEval,
  submitUpload,
} from './admin-views.js';

const VIEWS = {
  documents: showDocuments,
  upload: showDocuments,
  questions: showQuestions,
  feedback: showFeedback,
  evaluations: showEvaluations,
  audit: showAudit,
};

function signedOut(message = '') {
  setCsrf(null);
  tid('console').hidden = true;
  tid('sign-out').hidden = true;
  tid('who').textContent = '';
  tid('signin').hidden = false;
  tid('signin-error').textContent = message;
  tid('key').focus();
}

function signedIn(session) {
  setCsrf(session.csrf);
  tid('signin').hidden = true;
  tid('console').hidden = false;
  tid('sign-out').hidden = session.via !== 'session';
  tid('who').textContent = `signed in as ${session.actor}`;
  open(location.hash.slice(1) in VIEWS ? location.hash.slice(1) : 'documents');
}

async function open(name) {
  for (const tab of document.querySelectorAll('[data-tab]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
  for (const view of document.querySelectorAll('[data-view]')) view.hidden = view.dataset.view !== name;
  history.replaceState(null, '', `#${name}`);
  try {
    await VIEWS[name]();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) signedOut(err.message);
    else console.error(err);
  }
}

async function start() {
  for (const tab of document.querySelectorAll('[data-tab]')) tab.addEventListener('click', () => open(tab.dataset.tab));
  tid('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const session = await api('/v1/admin/session', { method: 'POST', json: { key: tid('key').value.trim() } });
      tid('key').value = '';
      signedIn(session);
    } catch (err) {
      tid('signin-error').textContent = err.message;
    }
  });
  tid('sign-out').addEventListener('click', async () => {
    await api('/v1/admin/session', { method: 'DELETE' }).catch(() => null);
    signedOut('Signed out.');
  });
  tid('doc-search').addEventListener('input', renderDocuments);
  tid('doc-sort').addEventListener('change', renderDocuments);
  tid('upload-form').addEventListener('submit', submitUpload);
  tid('question-outcome').addEventListener('change', showQuestions);
  tid('feedback-rating').addEventListener('change', showFeedback);
  tid('eval-form').addEventListener('submit', submitEval);
  tid('eval-compare').addEventListener('click', compareReports);
  try {
    signedIn(await api('/v1/admin/session'));
  } catch (err) {
    signedOut(err instanceof ApiError && err.status !== 401 ? err.message : '');
  }
}

start();
