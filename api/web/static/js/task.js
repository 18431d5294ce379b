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

  async function complete(data) {
    diwanForms.clearErrors(summary);
    diwan.show(message, 'info', t('Envoi en cours…'));
    const result = await diwan.api('POST', base + '/complete', { data: data });
    if (result.ok) {
      diwan.show(message, 'success', t('Tâche terminée. Retour à la corbeille…'));
      document.body.dataset.completed = 'true';
      setTimeout(() => { window.location.href = '/tasks'; }, 900);
      return result;
    }
    if (result.status === 422 && result.body && result.body.errors && window.diwanTaskForm) {
      diwanForms.showServerErrors(window.diwanTaskForm, result.body.errors, summary);
      diwan.show(message, 'error', t('Le formulaire contient des erreurs : corrigez les champs signalés.'));
    } else {
      diwan.show(message, 'error', diwan.describeError(result));
    }
    return result;
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
    if (canAct) {
      diwanForms.ensureSubmit(form, host, t('Valider la tâche'));
      form.on('submit', event => {
        if (Object.keys(event.errors).length) {
          diwan.show(message, 'error', t('Le formulaire contient des erreurs : corrigez les champs signalés.'));
          return;
        }
        complete(event.data);
      });
    }
  } else {
    document.getElementById('no-form').classList.remove('hidden');
    const button = document.getElementById('complete-without-form');
    if (button) { button.classList.remove('hidden'); button.addEventListener('click', () => complete({})); }
  }
  document.body.dataset.formReady = 'true';

  // Diagram, history
  try {
    const viewer = await diwanDiagram.open('#diagram', d.definitionKey, d.version);
    const history = await loadHistory;
    const events = history.ok ? history.body.events : [];
    const progress = diwanDiagram.progress(events);
    diwanDiagram.mark(viewer, { done: progress.done, active: [d.elementId], counts: progress.counts });
    diwanDiagram.focus(viewer, d.elementId, 0.8);
    const list = document.getElementById('history');
    diwan.withDiffs(events).filter(e => e.type !== 'element_completed' || e.diff.length)
      .forEach(e => list.append(diwan.eventItem(e, viewer.diwanNames, labels)));
    document.body.dataset.diagramReady = 'true';
  } catch (err) {
    diwan.show(message, 'error', t('Schéma indisponible : {detail}', { detail: err.message }));
  }
})();
