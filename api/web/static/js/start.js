/* Start a process from its start form. */
(async function () {
  'use strict';
  const t = diwan.t;
  const root = document.getElementById('start-page');
  const key = root.dataset.key, formKey = root.dataset.formKey;
  const message = document.getElementById('start-message');
  const summary = document.getElementById('form-errors');
  let form = null;

  async function start(data) {
    diwanForms.clearErrors(summary);
    diwan.show(message, 'info', t('Envoi en cours…'));
    const body = { data: data };
    const businessKey = document.getElementById('business-key').value.trim();
    if (businessKey) body.business_key = businessKey;
    const result = await diwan.api('POST', '/api/v1/process-definitions/' + encodeURIComponent(key) + '/start', body);
    if (result.ok) {
      diwan.show(message, 'success', t('Dossier créé ({ref}). Redirection…', { ref: result.body.business_key || result.body.id.slice(0, 8).toUpperCase() }));
      document.body.dataset.started = result.body.id;
      diwan.flash('success', t('Dossier créé : réf. {ref}.', { ref: result.body.business_key || result.body.id.slice(0, 8).toUpperCase() }));
      setTimeout(() => { window.location.href = '/tasks'; }, 900);
    } else if (result.status === 422 && result.body && result.body.errors && form) {
      diwanForms.showServerErrors(form, result.body.errors, summary);
      diwan.show(message, 'error', t('Le formulaire contient des erreurs : corrigez les champs signalés.'));
      diwanForms.focusFirstError(document.getElementById('form'));
    } else {
      diwan.show(message, 'error', diwan.describeError(result));
    }
  }
  window.diwanStart = { start: start };

  if (formKey) {
    const schema = await diwan.api('GET', '/api/v1/forms/' + encodeURIComponent(formKey));
    if (!schema.ok) { diwan.show(message, 'error', diwan.describeError(schema)); return; }
    const host = document.getElementById('form');
    form = await diwanForms.render(host, schema.body, {});
    diwanForms.ensureSubmit(form, host, t('Démarrer la procédure'));
    form.on('submit', event => {
      if (Object.keys(event.errors).length) {
        diwan.show(message, 'error', t('Le formulaire contient des erreurs : corrigez les champs signalés.'));
        diwanForms.focusFirstError(host);
        return;
      }
      start(event.data);
    });
  } else {
    const button = document.getElementById('start-without-form');
    button.classList.remove('hidden');
    button.addEventListener('click', () => start({}));
  }
  document.body.dataset.formReady = 'true';
})();
