/* The form editor (form-js): load the deployed form (or a new one), save = deploy the .form file. */
(async function () {
  'use strict';
  const host = document.getElementById('form-editor');
  const key = host.dataset.key;
  const message = document.getElementById('editor-message');
  const errorList = document.getElementById('deploy-errors');
  const editor = new FormEditor.FormEditor({ container: host });
  window.diwanFormEditor = editor;

  let schema = { type: 'default', id: key, schemaVersion: 16, components: [] };
  const result = await diwan.api('GET', '/api/v1/forms/' + encodeURIComponent(key));
  if (result.ok) {
    schema = result.body;
  } else if (result.status === 404) {
    diwan.show(message, 'info', "Nouveau formulaire : glissez des champs depuis la palette, puis enregistrez.");
  } else {
    diwan.show(message, 'error', diwan.describeError(result));
  }
  await editor.importSchema(schema);
  document.body.dataset.editorReady = 'true';

  function current() {
    const out = editor.saveSchema();
    out.id = key;  // the form's key is its schema id
    return out;
  }

  document.getElementById('save').addEventListener('click', async () => {
    await diwan.deployFile(new Blob([JSON.stringify(current(), null, 2)], { type: 'application/json' }), key + '.form',
                           'forms', key, message, errorList, 'Formulaire enregistré et déployé');
  });

  document.getElementById('download').addEventListener('click', () => {
    const blob = new Blob([JSON.stringify(current(), null, 2)], { type: 'application/json' });
    const a = diwan.el('a', { href: URL.createObjectURL(blob), download: key + '.form' });
    document.body.append(a); a.click(); a.remove();
  });
})();
