/* Claim ("Prendre et traiter": claim, then the task page) / unclaim buttons (inbox and task page). */
(function () {
  'use strict';
  document.addEventListener('click', async event => {
    const button = event.target.closest('[data-claim], [data-unclaim]');
    if (!button) return;
    const claim = button.hasAttribute('data-claim');
    const id = button.getAttribute(claim ? 'data-claim' : 'data-unclaim');
    button.disabled = true;
    const result = await diwan.api('POST', '/api/v1/tasks/' + encodeURIComponent(id) + (claim ? '/claim' : '/unclaim'));
    if (result.ok) {
      if (claim) {
        diwan.flash('success', diwan.t('Tâche prise en charge : vous pouvez la traiter.'));
        window.location.href = '/tasks/' + encodeURIComponent(id);
      } else {
        diwan.flash('success', diwan.t('Tâche libérée : elle est de nouveau proposée à son service.'));
        window.location.reload();
      }
      return;
    }
    button.disabled = false;
    diwan.show(document.getElementById('inbox-error') || document.getElementById('task-message'), 'error', diwan.describeError(result));
  });
  document.body.setAttribute('data-inbox-ready', 'true');  // the buttons work from here on
})();
