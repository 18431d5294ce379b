/* The form editor (form-js): open the draft (or the published form, or an old version read
   only), save it as a draft by revision, publish from the publication page. */
(async function () {
  'use strict';
  const t = diwan.t;
  const host = document.getElementById('form-editor');
  const message = document.getElementById('editor-message');
  const state = { kind: 'form', key: host.dataset.key, base: host.dataset.base ? Number(host.dataset.base) : null, revision: 0 };
  const version = host.dataset.version ? Number(host.dataset.version) : null;
  const $ = id => document.getElementById(id);
  const editor = new FormEditor.FormEditor({ container: host });
  diwanBpmnIo.translateDom(host);
  window.diwanFormEditor = editor;

  let opened;
  try {
    opened = await diwanDrafts.open(state, version);
  } catch (err) {
    diwan.show(message, 'error', err.message);
    return;
  }
  let schema = { type: 'default', id: state.key, schemaVersion: 16, components: [] };
  if (opened.source) schema = JSON.parse(opened.source);
  else diwan.show(message, 'info', t('Nouveau formulaire : glissez des champs depuis la palette, puis enregistrez le brouillon.'));
  if (opened.draft) {
    $('discard').classList.remove('hidden');
    diwan.show(message, 'info', t('Brouillon en cours (révision {n}, enregistré par {who}, {when}).',
      { n: opened.draft.revision, who: opened.draft.saved_by, when: diwan.formatDate(opened.draft.saved_at) }));
  } else if (version) {
    diwan.show(message, 'info', t('Version {n} : lecture seule. Téléchargez-la ou republiez-la.', { n: version }));
  }
  await editor.importSchema(schema);
  document.body.dataset.editorReady = 'true';

  // The preview window: the schema being edited, rendered as clerks will see it (nothing is sent).
  const previewHost = $('form-preview');
  let previewTimer = null;
  async function preview() {
    try {
      if (!window.diwanFormPreview) window.diwanFormPreview = await diwanForms.render(previewHost, editor.saveSchema(), {});
      else await window.diwanFormPreview.importSchema(editor.saveSchema(), {});
      document.body.dataset.previewReady = 'true';
    } catch (err) { /* an unfinished schema: the last preview stays */ }
  }
  editor.on('changed', () => { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 300); });
  preview();

  function current() {
    const out = editor.saveSchema();
    out.id = state.key;  // the form's key is its schema id
    return out;
  }

  async function save() {
    const result = await diwanDrafts.save(state, JSON.stringify(current(), null, 2));
    if (result.ok) {
      diwan.show(message, 'success', diwanDrafts.savedText(result.body));
      document.body.dataset.saved = result.body.key + ':' + result.body.revision;
      $('discard').classList.remove('hidden');
      return result.body;
    }
    diwan.show(message, 'error', t('Brouillon non enregistré : {detail}', { detail: diwan.describeError(result) }));
    document.body.dataset.saved = 'error';
    return null;
  }

  if (version) {
    $('republish').addEventListener('click', async () => {
      const result = await diwanDrafts.republish('form', state.key, version);
      if (result.ok) {
        const made = result.body.forms.find(d => d.key === state.key);
        diwan.show(message, 'success', t('Version {n} republiée : elle est maintenant la version {m}.', { n: version, m: made.version }));
        document.body.dataset.republished = state.key + ':' + made.version;
      } else diwan.show(message, 'error', diwan.describeError(result));
    });
    return;
  }
  $('save').addEventListener('click', save);
  $('publish').addEventListener('click', async () => { if (await save()) window.location.href = diwanDrafts.publishUrl(state); });
  $('discard').addEventListener('click', async () => {
    if (!window.confirm(t('Abandonner le brouillon ? Les modifications non publiées seront perdues.'))) return;
    const result = await diwanDrafts.discard(state);
    if (result.ok || result.status === 404) window.location.reload();
    else diwan.show(message, 'error', diwan.describeError(result));
  });
  $('download').addEventListener('click', () => {
    const blob = new Blob([JSON.stringify(current(), null, 2)], { type: 'application/json' });
    const a = diwan.el('a', { href: URL.createObjectURL(blob), download: state.key + '.form' });
    document.body.append(a); a.click(); a.remove();
  });
})();
