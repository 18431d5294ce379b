/* The designers' index: withdraw a process (with a reason) or put it back in service. */
(function () {
  'use strict';
  const t = diwan.t;
  const message = document.getElementById('designer-message');

  async function act(path, body) {
    const result = await diwan.api('POST', path, body);
    if (result.ok) { window.location.reload(); return; }
    diwan.show(message, 'error', diwan.describeError(result));
  }

  document.querySelectorAll('[data-withdraw]').forEach(button => button.addEventListener('click', () => {
    const key = button.dataset.withdraw;
    const reason = window.prompt(t('Retirer la procédure « {key} » : plus aucun dossier ne pourra être ouvert (les dossiers en cours continuent). Motif :', { key: key }));
    if (reason === null) return;
    act('/api/v1/process-definitions/' + encodeURIComponent(key) + '/withdraw', { reason: reason || null });
  }));
  document.querySelectorAll('[data-reinstate]').forEach(button => button.addEventListener('click', () => {
    act('/api/v1/process-definitions/' + encodeURIComponent(button.dataset.reinstate) + '/reinstate');
  }));
})();
