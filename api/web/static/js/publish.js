/* Publication page: the draft beside the current version (bpmn-js viewers, changes from
   bpmn-js-differ), the validation of the publication, the text diff, then "Publier". */
(async function () {
  'use strict';
  const t = diwan.t;
  const root = document.getElementById('publish-page');
  const kind = root.dataset.kind, key = root.dataset.key, revision = Number(root.dataset.revision);
  const message = document.getElementById('publish-message');
  const validation = document.getElementById('validation');
  const errorList = document.getElementById('publish-errors');
  const button = document.getElementById('publish');
  const enc = encodeURIComponent;
  const STATUS = {
    new: t('une nouvelle version sera publiée'),
    unchanged: t('le brouillon dit la même chose que la version courante : rien ne sera publié'),
    older: t('le brouillon reprend une version plus ancienne : elle sera republiée comme nouvelle version'),
  };

  const preview = await diwan.api('GET', '/api/v1/drafts/' + kind + '/' + enc(key) + '/preview');
  if (!preview.ok) { diwan.show(message, 'error', diwan.describeError(preview)); return; }
  const p = preview.body;

  // Text diff
  const pre = document.getElementById('text-diff');
  (p.text_diff || '').split('\n').forEach(line => {
    const cls = line.startsWith('+') && !line.startsWith('+++') ? 'add' : (line.startsWith('-') && !line.startsWith('---') ? 'del' : '');
    pre.append(diwan.el('span', { className: cls, text: line + '\n' }));
  });

  // Validation
  const possible = t('publication possible');
  if (p.valid) {
    validation.textContent = t('Aucune erreur : {status}', { status: STATUS[p.status] || possible }) +
      (p.same_as_version ? ' (' + t('version {n}', { n: p.same_as_version }) + ').' : '.');
    validation.className = 'ok';
  } else {
    validation.textContent = t('{n} erreur(s) : le brouillon ne peut pas être publié.', { n: p.errors.length });
    validation.className = 'error';
    p.errors.forEach(e => errorList.append(diwan.el('li', { 'data-element': e.element || '',
      text: (e.element ? e.element + ' : ' : '') + diwan.problemText(e) })));
    errorList.classList.remove('hidden');
  }
  if (p.stale) {
    diwan.show(message, 'warning', t("Une version {n} a été publiée depuis le début de ce brouillon : il ne peut pas être publié tel quel. Revenez à l'éditeur, reprenez la version courante et refaites vos modifications.", { n: p.current.version }));
  } else if (p.valid && p.status !== 'unchanged') {
    diwan.show(message, 'info', t('Vérifiez les différences, puis publiez.'));
    button.disabled = false;
  } else {
    diwan.show(message, p.valid ? 'info' : 'error', p.valid ? t('Rien à publier.') : t("Corrigez les erreurs dans l'éditeur."));
  }
  document.body.dataset.preview = p.valid ? (p.stale ? 'stale' : p.status) : 'invalid';

  // Diagrams side by side (processes)
  if (kind === 'process') {
    const viewers = {};
    async function show(id, xml) {
      const viewer = new BpmnJS({ container: '#' + id });
      await viewer.importXML(xml);
      viewer.get('canvas').zoom('fit-viewport', 'auto');
      return viewer;
    }
    try {
      viewers.draft = await show('draft-diagram', p.draft.source);
      if (p.current) viewers.current = await show('current-diagram', p.current.source);
      const changes = document.getElementById('changes');
      const names = id => {
        for (const v of [viewers.draft, viewers.current]) {
          const e = v && v.get('elementRegistry').get(id);
          if (e && e.businessObject && e.businessObject.name) return e.businessObject.name + ' (' + id + ')';
        }
        return id;
      };
      const mark = (viewer, id, marker) => { if (viewer && viewer.get('elementRegistry').get(id)) viewer.get('canvas').addMarker(id, marker); };
      if (viewers.current) {
        const d = BpmnJsDiffer.diff(viewers.current.getDefinitions(), viewers.draft.getDefinitions());
        const list = (label, ids, cls) => ids.forEach(id => changes.append(diwan.el('li', { className: cls, 'data-element': id,
          text: label + ' : ' + names(id) })));
        Object.keys(d._added).forEach(id => mark(viewers.draft, id, 'dw-added'));
        Object.keys(d._removed).forEach(id => mark(viewers.current, id, 'dw-removed'));
        Object.keys(d._changed).forEach(id => { mark(viewers.draft, id, 'dw-changed'); mark(viewers.current, id, 'dw-changed'); });
        Object.keys(d._layoutChanged).forEach(id => mark(viewers.draft, id, 'dw-moved'));
        list(t('Ajouté'), Object.keys(d._added), 'added');
        list(t('Supprimé'), Object.keys(d._removed), 'removed');
        // bpmn-js-differ 3.2 hands jsondiffpatch's [old, new] to changed(model, key, newValue, oldValue):
        // its attrs have the two swapped, so the values are read from the two diagrams where they are plain.
        const valueIn = (viewer, id, attr, fallback) => {
          const e = viewer.get('elementRegistry').get(id);
          const v = e && e.businessObject && e.businessObject.get ? e.businessObject.get(attr) : undefined;
          return v === undefined || typeof v !== 'object' ? v : fallback;
        };
        Object.entries(d._changed).forEach(([id, c]) => changes.append(diwan.el('li', { className: 'changed', 'data-element': id,
          text: t('Modifié') + ' : ' + names(id) + ' — ' + Object.entries(c.attrs || {}).map(([a, v]) =>
            a + ' : ' + JSON.stringify(valueIn(viewers.current, id, a, v.newValue)) + ' → ' +
            JSON.stringify(valueIn(viewers.draft, id, a, v.oldValue))).join(' ; ') })));
        list(t('Déplacé'), Object.keys(d._layoutChanged).filter(id => !d._added[id] && !d._changed[id]), 'moved');
        if (!changes.children.length) changes.append(diwan.el('li', { className: 'muted', text: t('Aucune différence.') }));
      } else {
        changes.append(diwan.el('li', { className: 'muted', text: t('Première publication : tout le diagramme est nouveau.') }));
      }
      (p.errors || []).forEach(e => { if (e.element) mark(viewers.draft, e.element, 'dw-error'); });
      document.body.dataset.diff = String(changes.querySelectorAll('li:not(.muted)').length);
    } catch (err) {
      diwan.show(message, 'error', t('Affichage des diagrammes impossible : {detail}', { detail: err.message }));
    }
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    const result = await diwan.api('POST', '/api/v1/drafts/' + kind + '/' + enc(key) + '/publish', { revision: revision });
    if (result.ok) {
      const all = result.body.definitions.concat(result.body.forms, result.body.decisions);
      const mine = all.find(d => d.key === key);
      diwan.show(message, 'success', t("Publié : version {n}. Les nouveaux dossiers l'utilisent ; les dossiers en cours restent sur leur version.", { n: mine.version }));
      document.body.dataset.published = key + ':' + mine.version;
    } else {
      button.disabled = false;
      diwan.show(message, 'error', t('Publication refusée : {detail}', { detail: diwan.describeError(result) }));
      document.body.dataset.published = 'error';
    }
  });
})();
