/* diwan web pages: shared helpers (no inline scripts anywhere: CSP script-src 'self'). */
(function () {
  'use strict';
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  /** Call the JSON API with the session cookie and the CSRF header. Resolves to {status, ok, body}. */
  async function api(method, path, body, options) {
    const headers = { 'X-CSRF-Token': csrf, 'Accept': 'application/json' };
    const init = { method: method, headers: headers, credentials: 'same-origin' };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, Object.assign(init, options || {}));
    const type = response.headers.get('Content-Type') || '';
    let parsed = null;
    if (response.status !== 204) {
      parsed = type.includes('json') ? await response.json() : await response.text();
    }
    return { status: response.status, ok: response.ok, body: parsed };
  }

  function escape(text) {
    return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === 'text') node.textContent = v; else if (k === 'className') node.className = v; else node.setAttribute(k, v);
    });
    (children || []).forEach(c => node.append(c));
    return node;
  }

  // The page's language and time zone (<html lang>, <meta name="diwan-timezone">): the same zone as the
  // server's dates (DIWAN_TIMEZONE), shown in the footer; Arabic dates with Latin digits as in Morocco.
  const lang = document.documentElement.lang || 'fr';
  const zone = (document.querySelector('meta[name="diwan-timezone"]') || {}).content || 'Africa/Casablanca';
  const messages = window.DIWAN_MESSAGES || {};
  // The engine's messages to designers (deploy, publish, validation): English templates -> the page's language.
  const deployMessages = window.DIWAN_DEPLOY_MESSAGES || {};

  /** The page's translation of a French text; {name} placeholders are filled from `params`. */
  function t(text, params) {
    const out = messages[text] || text;
    return params ? out.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m)) : out;
  }

  const fmt = new Intl.DateTimeFormat(lang === 'ar' ? 'ar-MA-u-nu-latn' : 'fr-FR', {
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZone: zone });
  function formatDate(iso) { return iso ? fmt.format(new Date(iso)) : ''; }

  /** Show a message; an error is brought into view and focused (screen readers read it at once). */
  function show(node, kind, text) {
    if (!node) return;
    node.textContent = text;
    node.className = 'alert alert-' + kind;
    if (kind === 'error') {
      node.setAttribute('tabindex', '-1');
      node.setAttribute('role', 'alert');
      node.scrollIntoView({ block: 'center' });
      node.focus({ preventScroll: true });
    }
  }

  /** A message for the next page (after a redirect): shown at its top once. */
  function flash(kind, text) {
    try { sessionStorage.setItem('diwan-flash', JSON.stringify({ kind: kind, text: text })); } catch (e) { /* private mode */ }
  }
  function showFlash() {
    let stored = null;
    try { stored = JSON.parse(sessionStorage.getItem('diwan-flash') || 'null'); sessionStorage.removeItem('diwan-flash'); }
    catch (e) { stored = null; }
    const node = document.getElementById('flash');
    if (stored && node) { show(node, stored.kind, stored.text); node.classList.remove('hidden'); }
  }
  document.addEventListener('DOMContentLoaded', showFlash);

  // The API speaks English (its contract); the pages say its known messages in the page's language.
  const STATES = { completed: t('terminée'), cancelled: t('annulée'), ready: t('à traiter'), running: t('en cours'),
                   suspended: t('suspendu'), failed: t('en échec') };
  const SERVER_MESSAGES = [
    [/^claim the task before completing it/, () => t('prenez la tâche en charge avant de la terminer')],
    [/^the task is claimed by (.+)$/, m => t('la tâche est prise en charge par {who}', { who: m[1] })],
    [/^the task is already (\w+)$/, m => t('la tâche est déjà {state}', { state: STATES[m[1]] || m[1] })],
    [/^the task was claimed, unclaimed or ended by a concurrent command/, () => t('la tâche a été prise, libérée ou terminée entre-temps')],
    [/^the task is no longer ready/, () => t("la tâche n'est plus à traiter")],
    [/^the instance is already suspended/, () => t('le dossier est déjà suspendu')],
    [/^the instance is not suspended/, () => t("le dossier n'est pas suspendu")],
    [/^the instance has already ended/, () => t('le dossier est déjà clos')],
    [/^the instance is (\w+)$/, m => t('le dossier est {state}', { state: STATES[m[1]] || m[1] })],
    [/(concurrent change won|changed by another command|ended by a concurrent command|same moment)/, () => t('une autre modification est passée avant : rechargez la page et réessayez')],
    [/^process '(.+)' is withdrawn/, m => t('la procédure {key} est retirée : elle ne démarre plus de dossier', { key: m[1] })],
    [/^process '(.+)' is already withdrawn/, () => t('la procédure est déjà retirée')],
    [/^process '(.+)' is not withdrawn/, () => t("la procédure n'est pas retirée")],
    [/^process '(.+)' has no none start event/, () => t('cette procédure démarre par un message, pas par un formulaire')],
    [/^the business key '(.+)' is already used by instance (\S+)/, m => t('la référence {key} est déjà utilisée par le dossier {id}', { key: m[1], id: m[2] })],
    [/^(\w+) '(.+)' v(\d+) was published since you opened/, m => t('la version v{n} a été publiée depuis que vous avez ouvert ce brouillon : rechargez-la et refaites votre modification sur la v{n}', { n: m[3] })],
    [/^(\w+) '(.+)' has no published version any more/, () => t("il n'y a plus de version publiée : rechargez la page")],
    [/^the draft of '(.+)' was saved meanwhile by (\S+)/, m => t('le brouillon a été enregistré entre-temps par {who} : rechargez-le', { who: m[2] })],
    [/published or discarded meanwhile/, () => t('le brouillon a été publié ou abandonné entre-temps : rechargez-le')],
    [/^the username '(.+)' is taken/, m => t("l'identifiant {name} est déjà pris", { name: m[1] })],
    [/^the incident was already retried/, () => t("l'incident a déjà été relancé")],
    [/is already the current version/, () => t('cette version est déjà la version en vigueur')],
    [/^the target version has no element (.+)$/, m => t("la version cible n'a pas l'étape {ids}", { ids: m[1] })],
    [/^the instance has ended \((\w+)\)$/, m => t('le dossier est clos ({state})', { state: STATES[m[1]] || m[1] })],
    [/^already on v(\d+)$/, m => t('déjà sur la v{n}', { n: m[1] })],
    [/^on v(\d+), not v(\d+)$/, m => t('sur la v{n}, pas la v{m}', { n: m[1], m: m[2] })],
    [/^an instance of '(.+)', not of '(.+)'$/, m => t("un dossier d'une autre procédure ({key})", { key: m[1] })],
    [/^Missing data for required field\.?$/, () => t('Champ obligatoire.')],
    [/^Unknown field\.?$/, () => t('Champ inconnu.')],
    [/^Must be one of: (.+)\.$/, m => t('Valeur non autorisée (valeurs possibles : {values}).', { values: m[1] })],
    [/^Must be at least (\S+) characters\.$/, m => t('Au moins {n} caractères.', { n: m[1] })],
    [/^Must be at most (\S+) characters\.$/, m => t('Au plus {n} caractères.', { n: m[1] })],
    [/^Must be greater than or equal to (\S+)\.$/, m => t('Doit être supérieur ou égal à {n}.', { n: m[1] })],
    [/^Must be less than or equal to (\S+)\.$/, m => t('Doit être inférieur ou égal à {n}.', { n: m[1] })],
    [/^Must be an integer\.$/, () => t('Doit être un nombre entier.')],
    [/^Must match pattern/, () => t("Le format n'est pas celui attendu.")],
    [/^Not a valid email address\.$/, () => t('Adresse électronique invalide.')],
    [/^Not a valid phone number/, () => t('Numéro de téléphone invalide.')],
    [/^Not a valid date/, () => t('Date invalide.')],
    [/^Not a valid time/, () => t('Heure invalide.')],
    [/^Not a valid (number|string|boolean|value|list|object)/, () => t('Valeur invalide.')],
  ];

  /** A server message in the page's language: a known one translated, another one replaced by `fallback`. */
  function serverText(message, fallback) {
    const text = String(message || '');
    for (const [pattern, say] of SERVER_MESSAGES) {
      const m = text.match(pattern);
      if (m) return say(m);
    }
    return fallback === undefined ? text : fallback;
  }

  /** An English template (engine/messages.py) in the page's language, params filled in, a param that is a
   *  message itself ({template, params}) said the same way; `{{` and `}}` are literal braces. */
  function templateText(template, params) {
    const values = params || {};
    return String(deployMessages[template] || template).replace(/\{\{|\}\}|\{(\w+)\}/g, (m, k) => {
      if (m === '{{') return '{';
      if (m === '}}') return '}';
      if (!(k in values)) return m;
      const v = values[k];
      return v && typeof v === 'object' && v.template ? templateText(v.template, v.params) : String(v);
    });
  }

  /** A deploy, publish or validation problem ({file, element, message, template, params}) in the page's
   *  language: its template translated, else its (English) message as `serverText` says it. */
  function problemText(problem) {
    if (problem && problem.template) return templateText(problem.template, problem.params);
    return serverText((problem && problem.message) || '');
  }

  function describeError(result) {
    const body = result.body || {};
    const changed = t("l'élément a changé entre-temps. Rechargez la page."), check = t('vérifiez les champs signalés.');
    const messages = {
      401: t('Votre session a expiré : reconnectez-vous.'), 403: t("Vous n'êtes pas autorisé à faire cette action."),
      404: t("L'élément n'existe pas ou plus."),
      409: t('Conflit : {detail}', { detail: serverText(body.message, changed) }),
      413: t('Fichier trop volumineux.'),
      422: t('Données invalides : {detail}', { detail: serverText(body.message, check) }),
      429: t('Trop de demandes : réessayez dans un instant.'),
      503: t('Service momentanément indisponible : réessayez dans quelques instants.'),
    };
    return messages[result.status] || t('Erreur {status}', { status: result.status });
  }

  /** A value as people read it: the form's label of a choice, lists as lists, never raw JSON. */
  function formatValue(value, labels) {
    if (value === null || value === undefined || value === '') return '—';
    if (typeof value === 'boolean') return value ? t('Oui') : t('Non');
    if (Array.isArray(value)) return value.length ? value.map(v => formatValue(v, labels)).join(', ') : '—';
    if (typeof value === 'object') {
      return Object.entries(value).map(([k, v]) => k + ' : ' + formatValue(v, labels)).join(' ; ');
    }
    if (labels && Object.prototype.hasOwnProperty.call(labels, String(value))) return labels[String(value)];
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) && !isNaN(Date.parse(value))) return formatDate(value);
    return String(value);
  }

  /** The labels of a form's fields and of their choices: {fields: {key: label}, values: {key: {value: label}}}. */
  function formLabels(schema, into) {
    const out = into || { fields: {}, values: {} };
    ((schema && schema.components) || []).forEach(c => {
      if (c.key && c.label) out.fields[c.key] = c.label;
      if (c.key && Array.isArray(c.values)) {
        out.values[c.key] = Object.assign(out.values[c.key] || {}, Object.fromEntries(c.values.map(v => [String(v.value), v.label])));
      }
      if (c.components) formLabels(c, out);
    });
    return out;
  }

  /** Fill a <dl> with the instance variables, named by the forms' labels when `labels` has them. */
  function renderData(dl, data, labels) {
    dl.replaceChildren();
    const L = labels || { fields: {}, values: {} };
    const keys = Object.keys(data || {}).sort((a, b) => (L.fields[a] || a).localeCompare(L.fields[b] || b));
    if (!keys.length) { dl.append(el('p', { className: 'muted', text: t('Aucune donnée.') })); return; }
    keys.forEach(k => {
      dl.append(el('dt', { text: L.fields[k] || k, 'data-key': k }), el('dd', { text: formatValue(data[k], L.values[k]), dir: 'auto' }));
    });
  }

  // The events' names come from the server (api/web/event_labels.py, with the scripts' catalogue).
  const EVENT_LABELS = window.DIWAN_EVENT_LABELS || {};
  const DATA_EVENTS = ['task_completed', 'element_completed', 'output_collected', 'listener_ran', 'external_task_completed',
                       'external_task_bpmn_error', 'script_ran'];

  /** Fold the events' data changes (as the server's time travel does); each event gets `diff`. */
  function withDiffs(events) {
    let data = {};
    return events.map(e => {
      const p = e.payload || {};
      const before = data;
      data = Object.assign({}, data);
      if (e.type === 'instance_started') data = Object.assign({}, p.data || {});
      else if (e.type === 'message_correlated' && p.variable) data[p.variable] = Object.assign({}, p.data || {});
      else if (e.type === 'message_correlated') Object.assign(data, p.data || {});
      else if (DATA_EVENTS.includes(e.type)) {
        Object.assign(data, p.changes || {});
        (p.deleted || []).forEach(k => delete data[k]);
      }
      const diff = [];
      new Set([...Object.keys(before), ...Object.keys(data)]).forEach(k => {
        if (JSON.stringify(before[k]) !== JSON.stringify(data[k])) diff.push({ key: k, before: before[k], after: data[k] });
      });
      return Object.assign({}, e, { diff: diff, dataAfter: data });
    });
  }

  function eventLabel(type) { return EVENT_LABELS[type] || t('Événement'); }

  /** One <li> of a timeline: who, what, when, data diff (named by the forms' labels when given). */
  function eventItem(e, names, labels) {
    const L = labels || { fields: {}, values: {} };
    const what = eventLabel(e.type);
    const where = e.element_id ? (names && names[e.element_id]) || e.element_id : '';
    const li = el('li', { className: 'event event-' + e.type, 'data-seq': e.seq });
    li.append(el('div', { className: 'event-head' }, [
      el('span', { className: 'seq', text: '#' + e.seq }),
      el('strong', { text: what }), where ? el('span', { className: 'where', text: where, dir: 'auto' }) : '',
    ]));
    li.append(el('div', { className: 'event-meta', text: formatDate(e.at) + ' · ' + (e.actor === 'system' ? t('système') : e.actor) }));
    const p = e.payload || {};
    if (e.type === 'comment_added') li.append(el('blockquote', { className: 'comment-text', text: p.text || '', dir: 'auto' }));
    if (e.type === 'task_reassigned') {
      li.append(el('div', { className: 'event-note', text: (p.previous_assignee || '—') + ' → ' + (p.assignee || '—') }));
    }
    if (Array.isArray(p.attachments) && p.attachments.length) {
      const files = el('ul', { className: 'files' });
      p.attachments.forEach(a => {
        const link = el('a', { href: '/attachments/' + encodeURIComponent(a.id), text: a.filename, download: a.filename });
        files.append(el('li', {}, [link, el('span', { className: 'muted' }, [
          ' · ', el('span', { text: t('{n} octets', { n: a.size }) }), ' · ',
          el('code', { className: 'small', dir: 'ltr', text: 'sha256 ' + String(a.sha256).slice(0, 12) + '…' })])]));
      });
      li.append(files);
    }
    if (e.diff && e.diff.length) {
      const ul = el('ul', { className: 'diff' });
      e.diff.forEach(d => {
        const row = el('li');
        row.append(el('span', { className: 'field', 'data-key': d.key, text: L.fields[d.key] || d.key }), ' : ');
        if (d.before !== undefined) row.append(el('del', { text: formatValue(d.before, L.values[d.key]), dir: 'auto' }), ' → ');
        row.append(d.after === undefined ? el('em', { text: t('supprimé') }) : el('ins', { text: formatValue(d.after, L.values[d.key]), dir: 'auto' }));
        ul.append(row);
      });
      li.append(ul);
    }
    return li;
  }

  // Deploy one file from an editor page: the outcome in `message`, deployment errors listed in
  // `errorList`; `kind` is the response list to read ("forms", "decisions"). Returns the version.
  async function deployFile(blob, filename, kind, key, message, errorList, successText) {
    errorList.replaceChildren(); errorList.classList.add('hidden');
    const data = new FormData();
    data.append('files', blob, filename);
    const deployed = await api('POST', '/api/v1/deployments', data);
    if (deployed.ok) {
      const item = (deployed.body[kind] || []).find(d => d.key === key);
      show(message, 'success', successText + (item ? ' (' + t('version {n}', { n: item.version }) + ').' : '.'));
      document.body.dataset.deployed = item ? key + ':' + item.version : 'ok';
      return item;
    }
    const errors = Array.isArray(deployed.body && deployed.body.errors) ? deployed.body.errors : [];
    errors.forEach(e => errorList.append(el('li', { 'data-element': e.element || '',
      text: (e.element ? e.element + ' : ' : '') + problemText(e) })));
    errorList.classList.toggle('hidden', !errors.length);
    show(message, 'error', describeError(deployed));
    document.body.dataset.deployed = 'error';
    return null;
  }

  window.diwan = { api, csrf, escape, el, t, lang, zone, formatDate, formatValue, show, flash, describeError, serverText, problemText, renderData,
                   formLabels, withDiffs, eventItem, eventLabel, EVENT_LABELS, deployFile };
})();
