// The release page: sign in with Entra ID (authorization code with PKCE, as a single-page app), list
// the user's held jobs, release them at a printer, delete them, set a terminal PIN. No framework and
// no sign-in library: the page is a few kilobytes, so it opens fast on a phone at the printer.
// The API verifies every token itself; nothing here is trusted for authorisation.

const config = document.body.dataset;
const TOKEN_KEY = 'release-gate.token';
const $ = (id) => document.getElementById(id);
const redirectUri = `${location.origin}${location.pathname}`;

function show(element, visible = true) {
  element.hidden = !visible;
}

function status(text) {
  $('status').textContent = text;
}

function error(text) {
  $('error').textContent = text;
  show($('error'), Boolean(text));
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function signIn() {
  const verifier = randomString();
  const state = randomString();
  // Where to come back to (the printer from the QR code), kept for this one sign-in.
  sessionStorage.setItem(`release-gate.state.${state}`, JSON.stringify({ verifier, search: location.search }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({
    client_id: config.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    response_mode: 'query',
    scope: `openid profile ${config.scope}`,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${config.authority}/oauth2/v2.0/authorize?${query}`);
}

/** Back from the sign-in screen: redeem the code, then put the original address back. */
async function completeSignIn(params) {
  const state = params.get('state') ?? '';
  const saved = JSON.parse(sessionStorage.getItem(`release-gate.state.${state}`) ?? 'null');
  sessionStorage.removeItem(`release-gate.state.${state}`);
  history.replaceState(null, '', `${location.pathname}${saved?.search ?? ''}`);
  if (params.get('error')) throw new Error(params.get('error_description') || params.get('error'));
  if (!saved) throw new Error('The sign-in did not start on this page. Try again.');
  const response = await fetch(`${config.authority}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: config.clientId,
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: redirectUri,
      code_verifier: saved.verifier,
      scope: `openid profile ${config.scope}`,
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error_description || body.error || `Sign-in failed (${response.status})`);
  const token = {
    value: body.access_token,
    obtainedAt: Date.now(),
    expiresAt: Date.now() + (body.expires_in - 60) * 1000,
  };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(token));
  return token.value;
}

function currentToken() {
  const token = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
  return token && token.expiresAt > Date.now() ? token.value : undefined;
}

class SignInNeeded extends Error {
  constructor(freshToken, reason) {
    super(reason);
    // A token refused right after signing in will be refused again: say so rather than loop.
    this.freshToken = freshToken;
  }
}

async function api(path, body) {
  const response = await fetch(path, {
    method: body ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${currentToken()}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 401) {
    const token = JSON.parse(sessionStorage.getItem(TOKEN_KEY) ?? 'null');
    sessionStorage.removeItem(TOKEN_KEY);
    const refused = await response.json().catch(() => ({}));
    throw new SignInNeeded(Boolean(token && Date.now() - token.obtainedAt < 120_000), refused.error?.message);
  }
  const json = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new Error(json.error?.message || `The server answered ${response.status}`);
  return json;
}

const describeLocation = (l) =>
  l ? [l.site, l.building, l.floor && `floor ${l.floor}`, l.room].filter(Boolean).join(', ') : '';

const formatSize = (bytes) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;

function renderJobs(jobs) {
  const list = $('jobs');
  list.replaceChildren(
    ...jobs.map((job) => {
      const item = document.createElement('li');
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'job';
      box.value = job.taskId;
      const name = document.createElement('strong');
      name.textContent = job.documentName || 'Untitled document';
      const details = document.createElement('small');
      const parts = [
        `sent ${new Date(job.heldAt).toLocaleString()}`,
        job.sizeBytes ? formatSize(job.sizeBytes) : '',
        job.copies > 1 ? `${job.copies} copies` : '',
        `kept until ${new Date(job.expiresAt).toLocaleString()}`,
        job.releaseAt
          ? `prints only at ${job.releaseAt.map((id) => printerNames.get(id) ?? 'a set printer').join(' or ')}`
          : '',
      ];
      details.textContent = parts.filter(Boolean).join(' · ');
      label.append(box, ' ', name, details);
      item.append(label);
      return item;
    }),
  );
  show($('no-jobs'), jobs.length === 0);
  $('select-all').checked = false;
  $('select-all').disabled = jobs.length === 0;
}

function renderPrinters(printers, wanted) {
  const select = $('printer');
  select.replaceChildren(
    ...printers.map((printer) => {
      const option = document.createElement('option');
      option.value = printer.id;
      option.textContent = printer.displayName || printer.id;
      option.dataset.location = describeLocation(printer.location);
      return option;
    }),
  );
  if (wanted && printers.some((p) => p.id === wanted)) select.value = wanted;
  showLocation();
}

function showLocation() {
  const option = $('printer').selectedOptions[0];
  $('printer-location').textContent = option?.dataset.location ?? '';
}

const selectedJobs = () => [...document.querySelectorAll('input[name="job"]:checked')].map((box) => box.value);

/** Printer names by id, for jobs the policy lets out only at certain printers. */
const printerNames = new Map();

async function refresh() {
  const [{ user, jobs, expired = [] }, { printers }] = await Promise.all([
    api('release/jobs'),
    api('release/printers'),
  ]);
  for (const printer of printers) printerNames.set(printer.id, printer.displayName);
  $('user').textContent = user;
  show($('signed-in'));
  renderJobs(jobs);
  renderPrinters(printers, new URLSearchParams(location.search).get('printer'));
  show($('jobs-form'));
  show($('pin-form'));
  status(jobs.length === 1 ? '1 job is waiting for you.' : `${jobs.length} jobs are waiting for you.`);
  // Jobs Universal Print deleted while they waited: say so once, rather than show them as waiting.
  if (expired.length > 0) error(expired.map((job) => `${job.documentName || 'A job'}: ${job.reason}`).join(' '));
}

const PROBLEMS = {
  'not-found': 'A job was no longer waiting (already printed, deleted or expired).',
};

function summarise(results, verb) {
  const done = results.filter((r) => r.status === 'released' || r.status === 'deleted').length;
  const problems = results.filter((r) => r.status === 'failed' || r.status === 'not-found' || r.status === 'expired');
  status(`${done} of ${results.length} ${verb}.`);
  error([...new Set(problems.map((r) => r.reason || PROBLEMS[r.status]))].join(' '));
}

async function run(action) {
  error('');
  try {
    await action();
  } catch (problem) {
    if (problem instanceof SignInNeeded && !problem.freshToken) return signIn();
    if (problem instanceof SignInNeeded) {
      status('You are signed in, but Release Gate did not accept your sign-in. Ask your administrator.');
      show($('sign-in'));
    }
    error(problem.message);
  }
}

$('select-all').addEventListener('change', (event) => {
  for (const box of document.querySelectorAll('input[name="job"]')) box.checked = event.target.checked;
});
$('printer').addEventListener('change', showLocation);
$('sign-in').addEventListener('click', () => run(signIn));

$('jobs-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    const taskIds = selectedJobs();
    if (taskIds.length === 0) return error('Pick the jobs to print first.');
    const copies = Number($('copies').value);
    const changes = {
      ...($('grayscale').checked ? { grayscale: true } : {}),
      ...($('duplex').checked ? { duplex: true } : {}),
      ...(copies > 0 ? { copies } : {}),
    };
    status('Sending to the printer…');
    const { results } = await api('release/jobs/release', {
      taskIds,
      printerId: $('printer').value,
      ...(Object.keys(changes).length ? { changes } : {}),
    });
    await refresh();
    summarise(results, 'sent to the printer');
  });
});

$('delete').addEventListener('click', () =>
  run(async () => {
    const taskIds = selectedJobs();
    if (taskIds.length === 0) return error('Pick the jobs to delete first.');
    if (!confirm(`Delete ${taskIds.length === 1 ? 'this job' : `these ${taskIds.length} jobs`}?`)) return;
    const { results } = await api('release/jobs/delete', { taskIds });
    await refresh();
    summarise(results, 'deleted');
  }),
);

$('pin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    await api('release/jobs/pin', { pin: $('pin').value });
    $('pin').value = '';
    status('Your release PIN is set.');
  });
});

run(async () => {
  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('error')) {
    try {
      await completeSignIn(params);
    } catch (problem) {
      status('You are not signed in.');
      show($('sign-in'));
      throw problem;
    }
  }
  if (!currentToken()) return signIn();
  status('Loading your jobs…');
  await refresh();
});
