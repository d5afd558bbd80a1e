// The release page, used standing at a printer: sign in with Entra ID (authorization code with PKCE,
// as a single-page app), see the printer from the QR code and the user's held jobs, print them all
// (or the selected ones) there, delete them, set a terminal PIN. No framework and no sign-in library:
// the page is a few kilobytes, so it opens fast on a phone. The API verifies every token itself;
// nothing here is trusted for authorisation.

const config = document.body.dataset;
const $ = (id) => document.getElementById(id);
const redirectUri = `${location.origin}${location.pathname}`;
const SCOPES = `openid profile offline_access ${config.scope}`;
// The access token lives for this tab only; the refresh token survives closing it, for at most the
// 24 hours Entra ID gives a single-page app's sign-in (README: threat notes). Sign-out removes both.
const TOKEN_KEY = 'release-gate.token';
const REFRESH_KEY = 'release-gate.refresh';
const SIGNED_OUT_KEY = 'release-gate.signed-out';

const show = (element, visible = true) => (element.hidden = !visible);
const status = (text) => ($('status').textContent = text);

function error(text) {
  $('error').textContent = text;
  show($('error'), Boolean(text));
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const read = (storage, key) => JSON.parse(storage.getItem(key) ?? 'null');

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** To the sign-in screen; `prompt=select_account` lets the user pick another account. */
async function signIn(prompt) {
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
    scope: SCOPES,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(prompt ? { prompt } : {}),
  });
  location.assign(`${config.authority}/oauth2/v2.0/authorize?${query}`);
}

/** The token endpoint (cross-origin, as Entra ID requires of a single-page app); keeps what it gives. */
async function requestTokens(fields) {
  const response = await fetch(`${config.authority}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: config.clientId, scope: SCOPES, ...fields }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error_description || body.error || `Sign-in failed (${response.status})`);
  const now = Date.now();
  sessionStorage.setItem(
    TOKEN_KEY,
    JSON.stringify({ value: body.access_token, obtainedAt: now, expiresAt: now + (body.expires_in - 60) * 1000 }),
  );
  if (body.refresh_token) {
    // Entra ID says how long the refresh token has left; a refreshed one keeps the first one's end.
    const left = body.refresh_token_expires_in ?? 24 * 3600;
    localStorage.setItem(REFRESH_KEY, JSON.stringify({ value: body.refresh_token, expiresAt: now + left * 1000 }));
  }
}

/** Back from the sign-in screen: redeem the code, then put the original address back. */
async function completeSignIn(params) {
  const state = params.get('state') ?? '';
  const saved = read(sessionStorage, `release-gate.state.${state}`);
  sessionStorage.removeItem(`release-gate.state.${state}`);
  history.replaceState(null, '', `${location.pathname}${saved?.search ?? ''}`);
  if (params.get('error')) throw new Error(params.get('error_description') || params.get('error'));
  if (!saved) throw new Error('The sign-in did not start on this page. Try again.');
  await requestTokens({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri,
    code_verifier: saved.verifier,
  });
}

function currentToken() {
  const token = read(sessionStorage, TOKEN_KEY);
  return token && token.expiresAt > Date.now() ? token.value : undefined;
}

/** A token without a prompt: this tab's, or one bought with the remembered refresh token. */
async function silentToken() {
  if (currentToken()) return true;
  const refresh = read(localStorage, REFRESH_KEY);
  if (!refresh || refresh.expiresAt <= Date.now()) {
    localStorage.removeItem(REFRESH_KEY);
    return false;
  }
  try {
    await requestTokens({ grant_type: 'refresh_token', refresh_token: refresh.value });
    return true;
  } catch {
    localStorage.removeItem(REFRESH_KEY); // expired or revoked: sign in again
    return false;
  }
}

function forgetSignIn() {
  for (const storage of [sessionStorage, localStorage])
    for (const key of Object.keys(storage)) if (key.startsWith('release-gate.')) storage.removeItem(key);
}

/** Sign-out: forget every token here, then end the Entra ID session and come back to this page. */
function signOut() {
  forgetSignIn();
  sessionStorage.setItem(SIGNED_OUT_KEY, location.search);
  const query = new URLSearchParams({ client_id: config.clientId, post_logout_redirect_uri: redirectUri });
  location.assign(`${config.authority}/oauth2/v2.0/logout?${query}`);
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
    const token = read(sessionStorage, TOKEN_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    const refused = await response.json().catch(() => ({}));
    throw new SignInNeeded(Boolean(token && Date.now() - token.obtainedAt < 120_000), refused.error?.message);
  }
  const json = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok)
    // The error's other fields (a printer's reason, nearby printers) go with it.
    throw Object.assign(new Error(json.error?.message || `The server answered ${response.status}.`), {
      details: json.error ?? {},
    });
  return json;
}

const describeLocation = (l) =>
  l ? [l.site, l.building, l.floor && `floor ${l.floor}`, l.room].filter(Boolean).join(', ') : '';

const formatSize = (bytes) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} kB`;

/** "Thu 14:05": a time within the next few days, as people say it. */
const dayAndTime = (iso) => new Date(iso).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });

/** "kept for 23 h (until Thu 14:05)": how long is left, and when that is. */
function keptFor(expiresAt) {
  const left = Date.parse(expiresAt) - Date.now();
  const until = dayAndTime(expiresAt);
  const span =
    left >= 3600_000
      ? `${Math.floor(left / 3600_000)} h`
      : left >= 60_000
        ? `${Math.floor(left / 60_000)} min`
        : 'less than a minute';
  return `Kept for ${span} (until ${until})`;
}

const state = { printers: [], printerId: '', sending: false };

function jobDetails(job) {
  return [
    { color: 'Colour', blackAndWhite: 'Black and white' }[job.color],
    { one: 'One-sided', two: 'Two-sided' }[job.sides],
    job.copies ? plural(job.copies, 'copy', 'copies') : '',
    job.mediaSize ?? '',
    job.sizeBytes ? formatSize(job.sizeBytes) : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

function renderJob(job) {
  const item = document.createElement('li');
  item.className = 'job';
  item.dataset.taskId = job.taskId;
  const label = document.createElement('label');
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.name = 'job';
  box.value = job.taskId;
  const text = document.createElement('span');
  const name = document.createElement('strong');
  name.textContent = job.documentName || 'Untitled document';
  const details = document.createElement('span');
  details.className = 'details';
  details.textContent = jobDetails(job);
  const kept = document.createElement('span');
  kept.className = 'details';
  const time = document.createElement('time');
  time.dateTime = job.expiresAt;
  time.title = new Date(job.expiresAt).toLocaleString();
  time.textContent = keptFor(job.expiresAt);
  kept.append(time);
  text.append(name, details, kept);
  if (job.releaseAt) {
    const only = document.createElement('span');
    only.className = 'details';
    only.textContent = `Prints only at ${job.releaseAt.map((id) => printerName(id) ?? 'a set printer').join(' or ')}`;
    text.append(only);
  }
  label.append(box, text);
  const result = document.createElement('p');
  result.className = 'job-status';
  result.hidden = true;
  item.append(label);
  // Where the policy lets the job wait longer: one tap moves its expiry (the button says to when).
  if (job.nextKeepUntil) {
    const keep = document.createElement('button');
    keep.type = 'button';
    keep.className = 'secondary keep';
    keep.dataset.taskId = job.taskId;
    keep.textContent = `Keep longer (until ${dayAndTime(job.nextKeepUntil)})`;
    item.append(keep);
  }
  if (job.owner) {
    // Someone else's job this user may print: whose, and why (a delegate, or handed to them).
    const owner = document.createElement('span');
    owner.className = 'details for-owner';
    owner.textContent = `For ${job.owner.displayName || job.owner.userPrincipalName}${job.via === 'handed' ? ' (handed to you)' : ''}`;
    text.append(owner);
    box.dataset.delegated = 'yes';
  } else if (job.handedTo) {
    // Hand-over and take-back are in the Delegates panel (the list stays short on a phone).
    const note = document.createElement('span');
    note.className = 'details';
    note.textContent = `Handed to ${personName(job.handedTo)}`;
    text.append(note);
  }
  item.append(result);
  return item;
}

const heldBoxes = () => [...document.querySelectorAll('input[name="job"]')];
const selectedJobs = () => heldBoxes().filter((box) => box.checked);
// Printer ids are GUIDs: a QR code printed in capitals still names the same printer.
const printerById = (id) => state.printers.find((p) => p.id.toLowerCase() === String(id).toLowerCase());
const printerName = (id) => printerById(id)?.displayName;

/** The button says what a tap does: everything waiting, or just the ones ticked. */
function updateButton() {
  const held = heldBoxes().length;
  const selected = selectedJobs().length;
  const button = $('release');
  show(button, held > 0);
  show($('delete'), held > 0);
  // Rows stay after a release to show each job's status; "none waiting" only when there are none at all.
  show($('no-jobs'), $('jobs').children.length === 0);
  status(held > 0 ? `${plural(held, 'job')} waiting for you.` : '');
  if (!state.sending) button.textContent = selected > 0 ? `Print ${selected} selected` : 'Print all here';
}

function renderJobs(jobs) {
  $('jobs').replaceChildren(...jobs.map(renderJob));
  if (state.delegation) renderHandOvers(jobs.filter((job) => !job.owner && !job.noDelegation));
  updateButton();
}

/** The printer at the top: from the QR code if it is a release printer; never a guess. */
function choosePrinter(id, fromLink) {
  const printer = id ? printerById(id) : undefined;
  state.printerId = printer ? printer.id : '';
  $('printer').value = state.printerId;
  $('eyebrow').textContent = printer ? 'Print at' : 'Release your print jobs';
  $('title').textContent = printer ? printer.displayName : 'Choose where you are';
  $('printer-location').textContent = describeLocation(printer?.location);
  const problem =
    fromLink && !printer
      ? 'This printer is not a release printer — pick where you are.'
      : printer?.ready === false
        ? `This printer is ${printer.reason}: your jobs stay held. Pick another printer.`
        : '';
  $('printer-problem').textContent = problem;
  show($('printer-problem'), Boolean(problem));
  // The choice stays open once the user opened it, or while no printer is chosen.
  const open = !printer || printer.ready === false || $('where').dataset.open === 'yes';
  show($('where'), open);
  show($('change-printer'), !open);
  if (printer) {
    const url = new URL(location.href);
    url.searchParams.set('printer', printer.id);
    history.replaceState(null, '', url);
  }
}

const notReadyText = (printer) => (printer.ready === false ? `not ready: ${printer.reason}` : '');

/** Printers nearby that can print now (from a 409 printer_not_ready), each a button that prints there. */
function renderAlternatives(alternatives = []) {
  $('alternatives').replaceChildren(
    ...alternatives.map((printer) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = `Print at ${[printer.displayName, describeLocation(printer.location)].filter(Boolean).join(' — ')}`;
      button.addEventListener('click', () => {
        if (!printerById(printer.id)) state.printers.push(printer);
        choosePrinter(printer.id, false);
        run(release);
      });
      return button;
    }),
  );
  show($('alternatives'), alternatives.length > 0);
}

function renderPrinters(printers, wanted) {
  state.printers = printers;
  const none = document.createElement('option');
  none.value = '';
  none.textContent = 'Choose a printer…';
  $('printer').replaceChildren(
    none,
    ...printers.map((printer) => {
      const option = document.createElement('option');
      option.value = printer.id;
      option.textContent = [printer.displayName, describeLocation(printer.location), notReadyText(printer)]
        .filter(Boolean)
        .join(' — ');
      // A printer in error is greyed out; a QR code can still name it, and then the page says why.
      option.disabled = printer.ready === false;
      return option;
    }),
  );
  choosePrinter(wanted ?? '', Boolean(wanted));
}

// What each quota measure counts, for people ("Colour copies this term: 2 of 3 used, 1 left").
const MEASURES = {
  jobs: 'Jobs',
  copies: 'Copies',
  colorJobs: 'Colour jobs',
  colorCopies: 'Colour copies',
  pages: 'Pages',
  colorPages: 'Colour pages',
};

function renderQuota(quota) {
  const item = document.createElement('li');
  item.className = 'quota';
  const text = document.createElement('span');
  text.textContent =
    `${MEASURES[quota.measure] ?? quota.quota} ${quota.period.label}: ` +
    `${quota.used} of ${quota.limit} used, ${quota.remaining} left`;
  item.append(text);
  if (quota.reached) {
    // Said in words, not by colour alone.
    const reached = document.createElement('strong');
    reached.className = 'problem';
    reached.textContent = ' Limit reached.';
    item.append(reached);
  }
  // A picture of the same numbers; screen readers have the sentence.
  const bar = document.createElement('span');
  bar.className = 'quota-bar';
  bar.setAttribute('aria-hidden', 'true');
  const fill = document.createElement('span');
  fill.style.width = `${quota.limit > 0 ? Math.min(100, (100 * quota.used) / quota.limit) : 100}%`;
  bar.append(fill);
  item.append(bar);
  return item;
}

/** Where the user stands on each quota that applies to them now; nothing when none does. */
function renderQuotas(quotas) {
  const standings = quotas?.standings ?? [];
  $('quota-list').replaceChildren(...standings.map(renderQuota));
  $('quota-problem').textContent = quotas?.unavailable ?? '';
  show($('quota-problem'), Boolean(quotas?.unavailable));
  show($('quotas'), standings.length > 0 || Boolean(quotas?.unavailable));
}

async function load() {
  const [{ user, jobs, expired = [], quotas, delegated }, { printers }] = await Promise.all([
    api('release/jobs'),
    api('release/printers'),
  ]);
  $('user').textContent = user;
  show($('account'));
  show($('sign-in'), false);
  renderPrinters(printers, new URLSearchParams(location.search).get('printer'));
  // Delegation on: the list names others' jobs this user may print (`delegated`, maybe empty).
  state.delegation = Array.isArray(delegated);
  renderJobs([...jobs, ...(delegated ?? [])]);
  show($('jobs-form'));
  if (state.delegation) await loadDelegates();
  renderQuotas(quotas);
  show($('pin-section'));
  // Jobs Universal Print deleted while they waited: say so once, rather than show them as waiting.
  if (expired.length > 0) error(expired.map((job) => `${job.documentName || 'A job'}: ${job.reason}`).join(' '));
  // The expiry warning's link (?keep=<taskId>): keep that job once, then drop the parameter (a reload keeps nothing).
  const keepId = new URLSearchParams(location.search).get('keep');
  if (keepId) {
    const url = new URL(location.href);
    url.searchParams.delete('keep');
    history.replaceState(null, '', url);
    await keep(keepId);
  }
}

const OUTCOMES = {
  released: (r) => ({ text: `Sent to ${printerName(r.printerId) ?? 'the printer'}.`, ok: true }),
  deleted: () => ({ text: 'Deleted.', ok: true }),
  'not-found': () => ({ text: 'No longer waiting (already printed, deleted or expired).' }),
  expired: (r) => ({ text: r.reason }),
  failed: (r) => ({ text: `Not sent: ${r.reason}` }),
};

/** Each job says what happened to it; the ones that left the queue can no longer be selected. */
function showResults(results, verb) {
  for (const result of results) {
    const item = document.querySelector(`li[data-task-id="${CSS.escape(result.taskId)}"]`);
    if (!item) continue;
    const outcome = OUTCOMES[result.status]?.(result) ?? { text: result.reason ?? result.status };
    const line = item.querySelector('.job-status');
    line.textContent = outcome.text;
    line.className = `job-status ${outcome.ok ? 'ok' : 'problem'}`;
    line.hidden = false;
    const box = item.querySelector('input');
    box.checked = false;
    if (result.status !== 'failed') {
      // Gone from the queue: keep the row for its status, without a checkbox.
      const label = item.querySelector('label');
      const row = document.createElement('div');
      row.className = 'row';
      row.append(...[...label.childNodes].filter((node) => node !== box));
      label.replaceWith(row);
      item.querySelector('button.keep')?.remove();
    }
  }
  const done = results.filter((r) => r.status === 'released' || r.status === 'deleted').length;
  const all = done === results.length;
  return { text: `${done} of ${results.length} ${verb}.`, all };
}

/** The answer beside the button: `ok` (green), `problem` (red) or plain (while sending). */
function setResult(text, tone = '') {
  $('result').textContent = text;
  $('result').className = tone;
}

async function run(action) {
  error('');
  try {
    await action();
  } catch (problem) {
    if (problem instanceof SignInNeeded && !problem.freshToken) return startSignIn();
    if (problem instanceof SignInNeeded) {
      status('You are signed in, but Release Gate did not accept your sign-in. Ask your administrator.');
      show($('sign-in'));
    }
    error(problem.message);
  }
}

/** Sends the ticked jobs, or all waiting ones, to the printer at the top; the answer appears by the button. */
async function release() {
  if (state.sending) return;
  if (!state.printerId) {
    setResult('Choose the printer you are at first.', 'problem');
    show($('where'));
    return $('printer').focus();
  }
  const boxes = selectedJobs().length > 0 ? selectedJobs() : heldBoxes();
  const copies = Number($('copies').value);
  const changes = {
    ...($('grayscale').checked ? { grayscale: true } : {}),
    ...($('duplex').checked ? { duplex: true } : {}),
    ...(copies > 0 ? { copies } : {}),
  };
  const button = $('release');
  state.sending = true;
  button.disabled = true;
  button.classList.add('sending');
  button.textContent = `Sending ${plural(boxes.length, 'job')}…`;
  setResult(`Sending to ${printerName(state.printerId)}…`);
  renderAlternatives();
  try {
    const { results } = await api('release/jobs/release', {
      taskIds: boxes.map((box) => box.value),
      printerId: state.printerId,
      ...(Object.keys(changes).length ? { changes } : {}),
    });
    const summary = showResults(results, 'sent to the printer');
    setResult(
      summary.all
        ? `${summary.text} Collect ${boxes.length === 1 ? 'it' : 'them'} at ${printerName(state.printerId)}.`
        : `${summary.text} See each job for why.`,
      summary.all ? 'ok' : 'problem',
    );
  } catch (problem) {
    if (problem instanceof SignInNeeded) throw problem;
    setResult(problem.message, 'problem');
    if (problem.details?.code === 'printer_not_ready') renderAlternatives(problem.details.alternatives);
  } finally {
    state.sending = false;
    button.disabled = false;
    button.classList.remove('sending');
    updateButton();
  }
}

/** Keeps one job longer; its row shows the new expiry (and the next keep, if any) and says so. */
async function keep(taskId) {
  const [result] = (await api('release/jobs/keep', { taskIds: [taskId] })).results;
  const row = () => document.querySelector(`li[data-task-id="${CSS.escape(taskId)}"]`);
  const name = row()?.querySelector('strong')?.textContent;
  if (result.status === 'kept') {
    const job = (await api('release/jobs')).jobs.find((j) => j.taskId === taskId);
    if (row() && job) row().replaceWith(renderJob(job));
  }
  const text =
    result.status === 'kept'
      ? `Kept until ${dayAndTime(result.expiresAt)}.`
      : result.status === 'refused'
        ? result.reason
        : 'No longer waiting (already printed, deleted or expired).';
  const line = row()?.querySelector('.job-status');
  if (line) {
    line.textContent = text;
    line.className = `job-status ${result.status === 'kept' ? 'ok' : 'problem'}`;
    line.hidden = false;
  }
  updateButton();
  // Said where a screen reader hears it too (the status line is a live region).
  status(`${name ?? 'Your job'}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`);
}

// --- Delegates (RELEASE_GATE_DELEGATION=on): the API decides who may do what; this only shows it. ---

const personName = (p) => p.displayName || p.userPrincipalName || 'a colleague';

function personRow(person, action) {
  const item = document.createElement('li');
  const name = document.createElement('span');
  name.textContent = person.userPrincipalName
    ? `${personName(person)} (${person.userPrincipalName})`
    : personName(person);
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary';
  button.dataset.id = person.id;
  button.dataset.name = personName(person);
  button.textContent = action;
  button.setAttribute('aria-label', `${action} ${personName(person)}`);
  item.append(name, button);
  return item;
}

async function loadDelegates() {
  const { delegates, delegateOf } = await api('release/delegates');
  $('delegates').replaceChildren(...delegates.map((d) => personRow(d, 'Remove')));
  show($('no-delegates'), delegates.length === 0);
  $('delegate-of').textContent =
    delegateOf.length > 0 ? `You may print jobs for: ${delegateOf.map(personName).join(', ')}.` : '';
  show($('delegate-of'), delegateOf.length > 0);
  show($('delegates-section'));
}

async function reloadJobs() {
  const { jobs, delegated } = await api('release/jobs');
  renderJobs([...jobs, ...(delegated ?? [])]);
}

/** The panel's hand-over part: which job to hand (else the search adds a delegate), and what is handed now. */
function renderHandOvers(own) {
  const select = $('hand-job');
  const chosen = select.value;
  const option = (value, text) => Object.assign(document.createElement('option'), { value, text });
  select.replaceChildren(
    option('', 'None: name a delegate for all my jobs'),
    ...own.filter((job) => !job.handedTo).map((job) => option(job.taskId, job.documentName || 'Untitled document')),
  );
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
  const handed = own.filter((job) => job.handedTo);
  $('handed').replaceChildren(
    ...handed.map((job) => {
      const item = document.createElement('li');
      const text = document.createElement('span');
      text.textContent = `${job.documentName || 'Untitled document'} → ${personName(job.handedTo)}`;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.dataset.taskId = job.taskId;
      button.textContent = 'Take back';
      button.setAttribute('aria-label', `Take back ${job.documentName || 'the job'}`);
      item.append(text, button);
      return item;
    }),
  );
  show($('handed-heading'), handed.length > 0);
}

async function searchPeople() {
  const q = $('people-q').value.trim();
  if (q.length < 2) return ($('people-result').textContent = 'Type at least 2 letters.');
  const { people } = await api(`release/people?q=${encodeURIComponent(q)}`);
  const action = $('hand-job').value ? 'Hand to' : 'Add';
  $('people').replaceChildren(...people.map((p) => personRow(p, action)));
  $('people-result').textContent = people.length > 0 ? `${plural(people.length, 'colleague')} found.` : 'Nobody found.';
}

async function choosePerson(id, name) {
  const taskId = $('hand-job').value;
  if (taskId) {
    await api('release/delegates/hand-over', { taskId, to: { id } });
    $('hand-job').value = '';
    $('people').replaceChildren();
    await reloadJobs();
    return ($('people-result').textContent = `Handed to ${name}: they can print it; you can take it back.`);
  }
  await api('release/delegates/add', { id });
  $('people').replaceChildren();
  await loadDelegates();
  $('people-result').textContent = `${name} may now print your jobs.`;
}

/** Reads the remembered sign-in, or goes to the sign-in screen. */
async function startSignIn() {
  if (await silentToken()) return load();
  return signIn();
}

$('printer').addEventListener('change', (event) => {
  $('where').dataset.open = 'yes';
  choosePrinter(event.target.value, false);
  setResult('');
});
$('change-printer').addEventListener('click', () => {
  $('where').dataset.open = 'yes';
  show($('where'));
  show($('change-printer'), false);
  $('printer').focus();
});
$('jobs').addEventListener('change', updateButton);
$('jobs').addEventListener('click', (event) => {
  const button = event.target.closest('button.keep');
  if (!button || button.disabled) return;
  button.disabled = true;
  run(() => keep(button.dataset.taskId)).finally(() => (button.disabled = false));
});
$('handed').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-task-id]');
  if (!button || button.disabled) return;
  button.disabled = true;
  run(async () => {
    await api('release/delegates/take-back', { taskId: button.dataset.taskId });
    await reloadJobs();
    $('people-result').textContent = 'Taken back: only you can print it now.';
  }).finally(() => (button.disabled = false));
});
$('hand-job').addEventListener('change', () => {
  $('people').replaceChildren();
  $('people-result').textContent = '';
});
$('people-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(searchPeople);
});
$('people').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-id]');
  if (button) run(() => choosePerson(button.dataset.id, button.dataset.name));
});
$('delegates').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-id]');
  if (!button) return;
  run(async () => {
    await api('release/delegates/remove', { id: button.dataset.id });
    await loadDelegates();
    $('people-result').textContent = `${button.dataset.name} can no longer print your jobs.`;
  });
});
$('sign-in').addEventListener('click', () => run(() => signIn()));
$('switch-account').addEventListener('click', () => {
  forgetSignIn();
  run(() => signIn('select_account'));
});
$('sign-out').addEventListener('click', signOut);

$('jobs-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(release);
});

$('delete').addEventListener('click', () =>
  run(async () => {
    // Only a job's owner may delete it: others' jobs are left out.
    const boxes = selectedJobs().filter((box) => !box.dataset.delegated);
    if (boxes.length === 0) return setResult('Tick your own jobs to delete first.', 'problem');
    if (!confirm(`Delete ${boxes.length === 1 ? 'this job' : `these ${boxes.length} jobs`}?`)) return;
    const { results } = await api('release/jobs/delete', { taskIds: boxes.map((box) => box.value) });
    const summary = showResults(results, 'deleted');
    setResult(summary.text, summary.all ? 'ok' : 'problem');
    updateButton();
  }),
);

$('pin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const field = $('pin');
  const say = (text) => {
    $('pin-error').textContent = text;
    show($('pin-error'), Boolean(text));
    field.setAttribute('aria-invalid', String(Boolean(text)));
  };
  say('');
  run(async () => {
    try {
      await api('release/jobs/pin', { pin: field.value });
    } catch (problem) {
      if (problem instanceof SignInNeeded) throw problem;
      // The server's reason, in plain words, next to the field: "pin: a PIN is digits only" → "A PIN is digits only."
      const reason = problem.message.replace(/^pin:\s*/, '');
      say(`${reason.charAt(0).toUpperCase()}${reason.slice(1)}${/[.!?]$/.test(reason) ? '' : '.'}`);
      return field.focus();
    }
    field.value = '';
    status('Your release PIN is set.');
  });
});

run(async () => {
  const params = new URLSearchParams(location.search);
  const signedOut = sessionStorage.getItem(SIGNED_OUT_KEY);
  if (signedOut !== null) {
    // Back from signing out: the printer from the QR code is kept; nothing signs in by itself.
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    history.replaceState(null, '', `${location.pathname}${signedOut}`);
    status('You are signed out.');
    return show($('sign-in'));
  }
  if (params.has('code') || params.has('error')) {
    try {
      await completeSignIn(params);
    } catch (problem) {
      status('You are not signed in.');
      show($('sign-in'));
      throw problem;
    }
  }
  status('Loading your jobs…');
  await startSignIn();
});
