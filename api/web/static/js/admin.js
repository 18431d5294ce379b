/* The admin console: buttons and forms call the JSON API (commands, each recorded), then the
   page reloads with the outcome. A reason is asked where the history keeps one. */
(function () {
  'use strict';
  const t = diwan.t;
  const message = document.getElementById('admin-message');
  const FLASH = 'diwan-admin-flash';
  const flashed = sessionStorage.getItem(FLASH);
  if (flashed) { sessionStorage.removeItem(FLASH); diwan.show(message, 'success', flashed); }

  function done(text) {
    sessionStorage.setItem(FLASH, text || t('Enregistré.'));
    window.location.reload();
  }

  function failed(result) {
    const body = result.body || {};
    const details = body.errors && !Array.isArray(body.errors)
      ? ' (' + Object.entries(body.errors).map(([k, v]) => k + ' : ' + [].concat(v).map(m => diwan.serverText(m)).join(' ')).join(' ; ') + ')' : '';
    diwan.show(message, 'error', diwan.describeError(result) + details);
    document.body.dataset.adminError = String(result.status);
  }

  document.querySelectorAll('[data-action]').forEach(button => button.addEventListener('click', async () => {
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    if (button.dataset.reason) {
      const reason = window.prompt(button.dataset.reason);
      if (reason === null) return;
      if (!reason.trim() && button.dataset.required) { diwan.show(message, 'error', t('Un motif est nécessaire.')); return; }
      body.reason = reason.trim() || null;
    }
    button.disabled = true;
    const result = await diwan.api(button.dataset.method || 'POST', button.dataset.action, body);
    button.disabled = false;
    if (result.ok) done(button.dataset.done); else failed(result);
  }));

  document.querySelectorAll('form[data-api], form[data-api-template]').forEach(form => form.addEventListener('submit', async event => {
    event.preventDefault();
    const body = {};
    const lists = new Set([...form.querySelectorAll('input[type=checkbox]')].map(i => i.name));
    (form.dataset.always || '').split(',').filter(Boolean).forEach(n => lists.add(n));
    lists.forEach(n => { body[n] = []; });
    new FormData(form).forEach((value, name) => {
      if (lists.has(name)) body[name].push(value); else body[name] = value;
    });
    let path = form.dataset.api;
    if (!path) {
      path = form.dataset.apiTemplate.replace(/\{(\w+)\}/g, (_, n) => { const v = body[n]; delete body[n]; return encodeURIComponent(v); });
    }
    const result = await diwan.api(form.dataset.method || 'POST', path, body);
    if (result.ok) done(form.dataset.done); else failed(result);
  }));

  const verify = document.getElementById('verify-log');
  if (verify) verify.addEventListener('click', async () => {
    const result = await diwan.api('POST', '/api/v1/admin/events/verify');
    if (!result.ok) { failed(result); return; }
    if (result.body.chain_ok) diwan.show(message, 'success', t('Chaîne intacte : aucun événement modifié, supprimé ou déplacé.'));
    else diwan.show(message, 'error', t("Chaîne rompue à l'événement {seq}.", { seq: result.body.first_bad_seq }));
    document.body.dataset.verified = result.body.chain_ok ? 'ok' : 'broken';
  });
})();
