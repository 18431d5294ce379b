/* The task page: form (form-js viewer), diagram with the current task, case data, history. */
(async function () {
  'use strict';
  const t = diwan.t;
  const root = document.getElementById('task-page');
  const d = root.dataset;
  const canAct = d.canAct === 'true';
  const message = document.getElementById('task-message');
  const summary = document.getElementById('form-errors');
  const base = '/api/v1/tasks/' + encodeURIComponent(d.taskId);
  const CLAIM_FIRST = t("Prenez d'abord la tâche en charge (« Prendre et traiter ») : elle ne vous est pas attribuée.");

  /** The filepicker fields of a schema: their data keys (through group paths). */
  function fileKeys(components, prefix, out) {
    (components || []).forEach(c => {
      if (c.type === 'filepicker' && c.key) out.push(prefix + c.key);
      if (Array.isArray(c.components)) fileKeys(c.components, c.type === 'group' && c.path ? prefix + c.path + '.' : prefix, out);
    });
    return out;
  }
  function getPath(data, key) { return key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), data); }
  function setPath(data, key, value) {
    const parts = key.split('.'); let o = data;
    parts.slice(0, -1).forEach(k => { o[k] = o[k] || {}; o = o[k]; });
    o[parts[parts.length - 1]] = value;
  }

  /** Upload the files chosen in filepicker fields; their values become the attachment ids. */
  async function uploadFiles(data, files, keys) {
    for (const key of keys) {
      const ref = getPath(data, key);
      if (typeof ref !== 'string' || !ref.startsWith('files::')) continue;
      const ids = [];
      for (const file of (files && files.get(ref)) || []) {
        diwan.show(message, 'info', t('Envoi du fichier « {name} »…', { name: file.name }));
        const body = new FormData();
        body.append('field', key);
        body.append('file', file, file.name);
        const r = await diwan.api('POST', base + '/attachments', body);
        if (!r.ok) {
          const why = {
            'file too large': t('il dépasse la taille permise'), 'type not accepted': t("son contenu n'est pas d'un type accepté par ce champ"),
            'empty file': t('il est vide'), 'bad file name': t('son nom est invalide'), 'refused by the virus scanner': t("l'analyse antivirus l'a rejeté"),
            'not a file field': t("ce champ n'accepte pas de fichier"),
          }[r.body && r.body.message];
          const errors = (r.body && r.body.errors) || {};
          const detail = [].concat(errors.file || [], errors.field || []).join(' ');
          diwan.show(message, 'error', why ? t('Fichier « {name} » refusé : {why}', { name: file.name, why: why }) + (detail ? ' (' + detail + ').' : '.')
            : (r.status === 409 ? CLAIM_FIRST : t('Fichier refusé : {detail}', { detail: diwan.describeError(r) })));
          return null;
        }
        ids.push(r.body.id);
      }
      setPath(data, key, ids.length ? ids : null);
    }
    return data;
  }

  async function complete(data, files) {
    diwanForms.clearErrors(summary);
    diwan.show(message, 'info', t('Envoi en cours…'));
    const keys = window.diwanTaskSchema ? fileKeys(window.diwanTaskSchema.components, '', []) : [];
    const ready = await uploadFiles(Object.assign({}, data), files, keys);
    if (ready === null) return null;
    const result = await diwan.api('POST', base + '/complete', { data: ready });
    if (result.ok) {
      diwan.show(message, 'success', t('Tâche terminée. Retour à la corbeille…'));
      diwan.flash('success', t('Tâche « {name} » terminée.', { name: ((document.querySelector('h1') || {}).textContent || '').trim() }));
      document.body.dataset.completed = 'true';
      setTimeout(() => { window.location.href = '/tasks'; }, 600);
      return result;
    }
    if (result.status === 409 && result.body && /claim the task/.test(result.body.message || '')) {
      diwan.show(message, 'error', CLAIM_FIRST);
    } else if (result.status === 422 && result.body && result.body.errors && window.diwanTaskForm) {
      diwanForms.showServerErrors(window.diwanTaskForm, result.body.errors, summary);
      diwan.show(message, 'error', t('Le formulaire contient des erreurs : corrigez les champs signalés.'));
      diwanForms.focusFirstError(document.getElementById('form'));
    } else {
      diwan.show(message, 'error', diwan.describeError(result));
    }
    return result;
  }

  const reassign = document.getElementById('reassign-form');
  if (reassign) {
    reassign.addEventListener('submit', async event => {
      event.preventDefault();
      const to = document.getElementById('reassign-to').value;
      if (!to) { diwan.show(message, 'error', t("Choisissez l'agent à qui confier la tâche.")); return; }
      const r = await diwan.api('POST', base + '/reassign', { to_user: to });
      if (!r.ok) {
        const errors = (r.body && r.body.errors) || {};
        diwan.show(message, 'error', errors.to_user ? t('Réattribution refusée : {detail}', { detail: errors.to_user.map(m => diwan.serverText(m)).join(' ') }) : diwan.describeError(r));
        return;
      }
      diwan.flash('success', t('Tâche réattribuée à {who}.', { who: to }));
      window.location.reload();
    });
  }
  window.diwanTask = { complete: complete };

  const loadTask = diwan.api('GET', base);
  const loadHistory = diwan.api('GET', '/api/v1/process-instances/' + encodeURIComponent(d.instanceId) + '/history');

  // Form and case data
  const task = await loadTask;
  if (!task.ok) { diwan.show(message, 'error', diwan.describeError(task)); return; }
  const labels = diwan.formLabels(task.body.form, JSON.parse(d.labels || 'null') || undefined);
  diwan.renderData(document.getElementById('case-data'), task.body.data, labels);
  const host = document.getElementById('form');
  if (task.body.form) {
    const form = await diwanForms.render(host, task.body.form, task.body.data, !canAct);
    window.diwanTaskForm = form;
    window.diwanTaskSchema = task.body.form;
    if (canAct) {
      diwanForms.ensureSubmit(form, host, t('Valider la tâche'));
      form.on('submit', event => {
        if (Object.keys(event.errors).length) {
          diwan.show(message, 'error', t('Le formulaire contient des erreurs : corrigez les champs signalés.'));
          diwanForms.focusFirstError(host);
          return;
        }
        complete(event.data, event.files);
      });
    }
  } else {
    document.getElementById('no-form').classList.remove('hidden');
    const button = document.getElementById('complete-without-form');
    if (button) { button.classList.remove('hidden'); button.addEventListener('click', () => complete({})); }
  }
  document.body.dataset.formReady = 'true';

  // Diagram, then the history (named by the diagram's elements when it could be drawn)
  let viewer = null;
  try {
    viewer = await diwanDiagram.open('#diagram', d.definitionKey, d.version);
  } catch (err) {
    diwan.show(message, 'error', t('Schéma indisponible : {detail}', { detail: err.message }));
  }
  const history = await loadHistory;
  const events = history.ok ? history.body.events : [];
  if (viewer) {
    const progress = diwanDiagram.progress(events);
    diwanDiagram.mark(viewer, { done: progress.done, active: [d.elementId], counts: progress.counts });
    diwanDiagram.focus(viewer, d.elementId, 0.8);
  }
  const list = document.getElementById('history');
  diwan.withDiffs(events).filter(e => e.type !== 'element_completed' || e.diff.length)
    .forEach(e => list.append(diwan.eventItem(e, viewer ? viewer.diwanNames : {}, labels)));
  document.body.dataset.diagramReady = 'true';
})();
