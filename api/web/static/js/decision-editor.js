/* The decision table editor (dmn-js): open the draft (or the published table, or an old version
   read only), save it as a draft by revision, publish from the publication page. */
(async function () {
  'use strict';
  const t = diwan.t;
  const host = document.getElementById('dmn-editor');
  const message = document.getElementById('editor-message');
  const state = { kind: 'decision', key: host.dataset.key, base: host.dataset.base ? Number(host.dataset.base) : null, revision: 0 };
  const version = host.dataset.version ? Number(host.dataset.version) : null;
  const $ = id => document.getElementById(id);
  const modeler = new DmnJS({ container: host, common: { additionalModules: [diwanBpmnIo.translateModule] } });
  diwanBpmnIo.translateDom(host);
  window.diwanDmn = modeler;

  let opened;
  try {
    opened = await diwanDrafts.open(state, version);
  } catch (err) {
    diwan.show(message, 'error', err.message);
    return;
  }
  await modeler.importXML(opened.source);
  const table = modeler.getViews().find(v => v.type === 'decisionTable' && v.element.id === state.key) ||
    modeler.getViews().find(v => v.type === 'decisionTable');
  if (table) await modeler.open(table);
  if (opened.draft) {
    $('discard').classList.remove('hidden');
    diwan.show(message, 'info', t('Brouillon en cours (révision {n}, enregistré par {who}, {when}).',
      { n: opened.draft.revision, who: opened.draft.saved_by, when: diwan.formatDate(opened.draft.saved_at) }));
  } else if (version) {
    diwan.show(message, 'info', t('Version {n} : lecture seule. Téléchargez-la ou republiez-la.', { n: version }));
  }
  document.body.dataset.editorReady = 'true';

  async function xml() { return (await modeler.saveXML({ format: true })).xml; }

  async function save() {
    const result = await diwanDrafts.save(state, await xml());
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
      const result = await diwanDrafts.republish('decision', state.key, version);
      if (result.ok) {
        const made = result.body.decisions.find(d => d.key === state.key);
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
  $('download').addEventListener('click', async () => {
    const a = diwan.el('a', { href: URL.createObjectURL(new Blob([await xml()], { type: 'application/xml' })), download: state.key + '.dmn' });
    document.body.append(a); a.click(); a.remove();
  });
})();
