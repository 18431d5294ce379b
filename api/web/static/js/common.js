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

  const fmt = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Africa/Casablanca' });
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

  function describeError(result) {
    const body = result.body || {};
    const messages = {
      401: 'Votre session a expiré : reconnectez-vous.', 403: "Vous n'êtes pas autorisé à faire cette action.",
      404: "L'élément n'existe pas ou plus.", 409: 'Conflit : ' + (body.message || 'la tâche a changé entre-temps.'),
      413: 'Fichier trop volumineux.', 422: 'Données invalides : ' + (body.message || ''),
    };
    return messages[result.status] || ('Erreur ' + result.status + (body.message ? ' : ' + body.message : ''));
  }

  function formatValue(value) {
    if (value === null || value === undefined) return '—';
    if (typeof value === 'boolean') return value ? 'Oui' : 'Non';
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  /** Fill a <dl> with the instance variables. */
  function renderData(dl, data) {
    dl.replaceChildren();
    const keys = Object.keys(data || {}).sort();
    if (!keys.length) { dl.append(el('p', { className: 'muted', text: 'Aucune donnée.' })); return; }
    keys.forEach(k => { dl.append(el('dt', { text: k }), el('dd', { text: formatValue(data[k]) })); });
  }

  const EVENT_LABELS = {
    instance_started: 'Dossier ouvert', instance_completed: 'Dossier clos', instance_cancelled: 'Dossier annulé',
    instance_suspended: 'Dossier suspendu', instance_resumed: 'Dossier repris', task_ready: 'Tâche à traiter',
    task_claimed: 'Tâche prise en charge', task_unclaimed: 'Tâche libérée', task_completed: 'Tâche terminée',
    task_cancelled: 'Tâche annulée', element_completed: 'Étape franchie', timer_fired: 'Délai échu',
    message_correlated: 'Message reçu', incident_created: 'Incident', incident_retried: 'Incident relancé',
    event_fired: 'Événement', output_collected: 'Résultats rassemblés', scope_opened: 'Variables locales posées', listener_ran: 'Script d’écoute exécuté',
    external_task_created: 'Tâche externe en attente', external_task_completed: 'Tâche externe terminée',
    external_task_failed: 'Échec de la tâche externe', external_task_bpmn_error: 'Erreur métier de la tâche externe',
    external_task_cancelled: 'Tâche externe annulée', script_ran: 'Script exécuté',
    task_reassigned: 'Tâche réattribuée', comment_added: 'Commentaire',
  };
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

  /** One <li> of a timeline: who, what, when, data diff. */
  function eventItem(e, names) {
    const what = EVENT_LABELS[e.type] || e.type;
    const where = e.element_id ? (names && names[e.element_id]) || e.element_id : '';
    const li = el('li', { className: 'event event-' + e.type, 'data-seq': e.seq });
    li.append(el('div', { className: 'event-head' }, [
      el('span', { className: 'seq', text: '#' + e.seq }),
      el('strong', { text: what }), where ? el('span', { className: 'where', text: where }) : '',
    ]));
    li.append(el('div', { className: 'event-meta', text: formatDate(e.at) + ' · ' + (e.actor === 'system' ? 'système' : e.actor) }));
    const p = e.payload || {};
    if (e.type === 'comment_added') li.append(el('blockquote', { className: 'comment-text', text: p.text || '' }));
    if (e.type === 'task_reassigned') {
      li.append(el('div', { className: 'event-note', text: (p.previous_assignee || '—') + ' → ' + (p.assignee || '—') }));
    }
    if (Array.isArray(p.attachments) && p.attachments.length) {
      const files = el('ul', { className: 'files' });
      p.attachments.forEach(a => {
        const link = el('a', { href: '/attachments/' + encodeURIComponent(a.id), text: a.filename, download: a.filename });
        files.append(el('li', {}, [link, el('span', { className: 'muted', text: ' · ' + a.size + ' octets · sha256 ' + String(a.sha256).slice(0, 12) + '…' })]));
      });
      li.append(files);
    }
    if (e.diff && e.diff.length) {
      const ul = el('ul', { className: 'diff' });
      e.diff.forEach(d => {
        const row = el('li');
        row.append(el('code', { text: d.key }), ' : ');
        if (d.before !== undefined) row.append(el('del', { text: formatValue(d.before) }), ' → ');
        row.append(d.after === undefined ? el('em', { text: 'supprimé' }) : el('ins', { text: formatValue(d.after) }));
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
      show(message, 'success', successText + (item ? ' (version ' + item.version + ').' : '.'));
      document.body.dataset.deployed = item ? key + ':' + item.version : 'ok';
      return item;
    }
    const errors = Array.isArray(deployed.body && deployed.body.errors) ? deployed.body.errors : [];
    errors.forEach(e => errorList.append(el('li', { text: (e.element ? e.element + ' : ' : '') + e.message })));
    errorList.classList.toggle('hidden', !errors.length);
    show(message, 'error', describeError(deployed));
    document.body.dataset.deployed = 'error';
    return null;
  }

  window.diwan = { api, csrf, escape, el, formatDate, show, flash, describeError, renderData, withDiffs, eventItem,
                   EVENT_LABELS, deployFile };
})();
