/* Comments of a case (task and case pages): the list and the form (append-only, in the history). */
(function () {
  'use strict';
  const root = document.getElementById('task-page') || document.getElementById('instance-page');
  const list = document.getElementById('comments');
  if (!root || !list) return;
  const instanceId = root.dataset.instanceId;
  const taskId = root.dataset.taskId || null;
  const base = '/api/v1/process-instances/' + encodeURIComponent(instanceId) + '/comments';
  const message = document.getElementById('task-message') || document.getElementById('verify-result');

  function item(c) {
    return diwan.el('li', { className: 'comment', 'data-seq': c.seq }, [
      diwan.el('div', { className: 'event-meta', text: diwan.formatDate(c.at) + ' · ' + (c.actor === 'system' ? diwan.t('système') : c.actor) }),
      diwan.el('p', { text: c.text, dir: 'auto' }),
    ]);
  }

  async function load() {
    const r = await diwan.api('GET', base);
    if (!r.ok) return;
    list.replaceChildren(...r.body.items.map(item));
    if (!r.body.items.length) list.append(diwan.el('li', { className: 'muted', text: diwan.t('Aucun commentaire.') }));
    document.body.dataset.commentsReady = 'true';
  }

  const form = document.getElementById('comment-form');
  if (form) {
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const text = document.getElementById('comment-text');
      const r = await diwan.api('POST', base, { text: text.value, task_id: taskId });
      if (!r.ok) { diwan.show(message, 'error', diwan.describeError(r)); return; }
      text.value = '';
      diwan.show(message, 'success', diwan.t('Commentaire publié.'));
      await load();
    });
  }
  load();
})();
