/* The BPMN modeler: bpmn-js + properties panel (Camunda vocabulary). Work is saved as a draft
   (by revision); "Publier…" opens the publication page (diff, validation). An old version opens
   read only, to download or re-publish. A failed import blocks saving until the designer chooses. */
(async function () {
  'use strict';
  const t = diwan.t;
  const root = document.getElementById('modeler-page');
  const message = document.getElementById('modeler-message');
  const errorList = document.getElementById('deploy-errors');
  const importFailed = document.getElementById('import-failed');
  const state = { kind: 'process', key: root.dataset.key, base: root.dataset.base ? Number(root.dataset.base) : null,
                  revision: 0 };
  const version = root.dataset.version ? Number(root.dataset.version) : null;
  const $ = id => document.getElementById(id);

  const camunda = await (await fetch(root.dataset.camunda)).json();
  const P = window.BpmnJSPropertiesPanel;
  const modeler = new BpmnJS({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    additionalModules: [P.BpmnPropertiesPanelModule, P.BpmnPropertiesProviderModule, P.CamundaPlatformPropertiesProviderModule,
                        diwanBpmnIo.translateModule],
    moddleExtensions: { camunda: camunda },
  });
  window.diwanModeler = modeler;
  diwanBpmnIo.translateDom(document.getElementById('properties'));  // the panel's own texts (list entries)
  window.diwanModelerState = state;
  let errorMarks = [];
  let blocked = false;  // a failed import: nothing is saved until the designer chooses

  function clearErrors() {
    const canvas = modeler.get('canvas');
    errorMarks.forEach(id => { try { canvas.removeMarker(id, 'dw-error'); } catch (e) { /* element gone */ } });
    errorMarks = [];
    modeler.get('overlays').remove({ type: 'dw-error' });
    errorList.replaceChildren();
    errorList.classList.add('hidden');
  }

  function block(on) {
    blocked = on;
    importFailed.classList.toggle('hidden', !on);
    ['save', 'publish', 'check'].forEach(id => { if ($(id)) $(id).disabled = on; });
  }

  const diagramWord = t('Diagramme');
  async function load(xml, source) {
    clearErrors();
    document.body.dataset.imported = '';
    try {
      const result = await modeler.importXML(xml);
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      document.body.dataset.imported = 'ok:' + result.warnings.length;
      document.body.dataset.importedFile = source || state.key;
      block(false);
      if (result.warnings.length) {
        diwan.show(message, 'warning', t('{file} importé avec {n} avertissement(s) : ', { file: source || diagramWord, n: result.warnings.length }) +
          result.warnings.slice(0, 3).map(w => w.message).join(' ; '));
      } else if (source) {
        diwan.show(message, 'info', t('{file} importé : enregistrez le brouillon pour le garder.', { file: source }));
      }
      return true;
    } catch (err) {
      document.body.dataset.imported = 'error:' + err.message;
      document.body.dataset.importedFile = source || state.key;
      diwan.show(message, 'error', t('Import impossible : {detail}', { detail: err.message }));
      if (source) {  // bpmn-js shows nothing of the file: the previous diagram must not be saved by mistake
        try { await modeler.importXML(lastGood); } catch (e) { /* the previous one imported before */ }
        block(true);
      }
      return false;
    }
  }

  function markErrors(errors) {
    const canvas = modeler.get('canvas'), registry = modeler.get('elementRegistry'), overlays = modeler.get('overlays');
    errors.forEach(e => {
      const element = e.element && registry.get(e.element);
      const li = diwan.el('li', { 'data-element': e.element || '' });
      // The id stays shown (it is what the diagram highlights); the element's name, when it has one, with it.
      const name = element && element.businessObject && element.businessObject.name;
      li.append(e.element ? diwan.el('code', { text: e.element }) : '', name ? ' « ' + name + ' »' : '',
        e.element ? ' : ' : '', diwan.problemText(e));
      if (element) {
        canvas.addMarker(element.id, 'dw-error');
        errorMarks.push(element.id);
        const note = diwan.el('div', { className: 'dw-error-note', text: diwan.problemText(e) || t('Erreur') });
        overlays.add(element.id, 'dw-error', { position: { bottom: -6, left: 0 }, html: note });
        li.classList.add('clickable');
        li.addEventListener('click', () => { modeler.get('selection').select(element); canvas.scrollToElement(element); });
      }
      errorList.append(li);
    });
    errorList.classList.toggle('hidden', !errors.length);
  }

  async function xml() { return (await modeler.saveXML({ format: true })).xml; }

  async function save() {
    if (blocked) return null;
    clearErrors();
    const result = await diwanDrafts.save(state, await xml());
    if (result.ok) {
      if (result.body.key !== root.dataset.key) {  // a new diagram's id changed: the draft follows it
        root.dataset.key = result.body.key;
        history.replaceState(null, '', '/modeler/' + encodeURIComponent(result.body.key));
      }
      lastGood = await xml();
      diwan.show(message, 'success', diwanDrafts.savedText(result.body));
      document.body.dataset.saved = result.body.key + ':' + result.body.revision;
      $('discard').classList.remove('hidden');
      return result.body;
    }
    diwan.show(message, 'error', t('Brouillon non enregistré : {detail}', { detail: diwan.describeError(result) }));
    document.body.dataset.saved = 'error';
    return null;
  }

  async function check() {
    const saved = await save();
    if (!saved) return;
    const preview = await diwan.api('GET', '/api/v1/drafts/process/' + encodeURIComponent(state.key) + '/preview');
    if (!preview.ok) { diwan.show(message, 'error', diwan.describeError(preview)); return; }
    if (preview.body.valid) {
      diwan.show(message, 'success', t('Le brouillon peut être publié : aucune erreur.'));
      document.body.dataset.checked = 'ok';
    } else {
      diwan.show(message, 'error', t('Le brouillon ne peut pas être publié : {n} erreur(s), signalée(s) sur le schéma.', { n: preview.body.errors.length }));
      markErrors(preview.body.errors);
      document.body.dataset.checked = 'error';
    }
  }

  async function download() {
    const a = diwan.el('a', { href: URL.createObjectURL(new Blob([await xml()], { type: 'application/xml' })),
                             download: state.key + '.bpmn' });
    document.body.append(a); a.click(); a.remove();
  }

  let lastGood = null;
  if (version) {
    $('republish').addEventListener('click', async () => {
      const result = await diwanDrafts.republish('process', state.key, version);
      if (result.ok) {
        const made = result.body.definitions.find(d => d.key === state.key);
        diwan.show(message, 'success', t('Version {n} republiée : elle est maintenant la version {m}.', { n: version, m: made.version }));
        document.body.dataset.republished = state.key + ':' + made.version;
      } else {
        diwan.show(message, 'error', diwan.describeError(result));
      }
    });
  } else {
    $('save').addEventListener('click', save);
    $('check').addEventListener('click', check);
    $('publish').addEventListener('click', async () => { if (await save()) window.location.href = diwanDrafts.publishUrl(state); });
    $('download').addEventListener('click', download);
    $('discard').addEventListener('click', async () => {
      if (!window.confirm(t('Abandonner le brouillon ? Les modifications non publiées seront perdues.'))) return;
      const result = await diwanDrafts.discard(state);
      if (result.ok || result.status === 404) window.location.href = state.base ? '/modeler/' + encodeURIComponent(state.key) : '/designer';
      else diwan.show(message, 'error', diwan.describeError(result));
    });
    $('keep-previous').addEventListener('click', () => { block(false); diwan.show(message, 'info', t('Vous continuez avec le diagramme affiché.')); });
    $('import-file').addEventListener('change', event => {
      const file = event.target.files[0];
      if (!file) return;
      const reader = new FileReader();
      reader.onload = () => load(String(reader.result), file.name);
      reader.readAsText(file);
      event.target.value = '';
    });
  }

  let opened;
  try {
    opened = await diwanDrafts.open(state, version);
  } catch (err) {
    diwan.show(message, 'error', err.message);
    return;
  }
  if (await load(opened.source, '')) lastGood = opened.source;
  if (opened.draft) {
    $('discard').classList.remove('hidden');
    diwan.show(message, 'info', t('Brouillon en cours (révision {n}, enregistré par {who}, {when}).',
      { n: opened.draft.revision, who: opened.draft.saved_by, when: diwan.formatDate(opened.draft.saved_at) }));
  } else if (version) {
    diwan.show(message, 'info', t('Version {n} : lecture seule. Téléchargez-la ou republiez-la.', { n: version }));
  }
  document.body.dataset.draftRevision = String(state.revision);
})();
