/* The decision table editor (dmn-js): load the deployed DMN, save = deploy the .dmn file. */
(async function () {
  'use strict';
  const host = document.getElementById('dmn-editor');
  const key = host.dataset.key;
  const message = document.getElementById('editor-message');
  const errorList = document.getElementById('deploy-errors');
  const modeler = new DmnJS({ container: host });
  window.diwanDmn = modeler;

  const result = await diwan.api('GET', '/api/v1/decisions/' + encodeURIComponent(key) + '/xml');
  if (!result.ok) { diwan.show(message, 'error', diwan.describeError(result)); return; }
  await modeler.importXML(result.body);
  const table = modeler.getViews().find(v => v.type === 'decisionTable' && v.element.id === key) ||
    modeler.getViews().find(v => v.type === 'decisionTable');
  if (table) await modeler.open(table);
  document.body.dataset.editorReady = 'true';

  async function xml() { return (await modeler.saveXML({ format: true })).xml; }

  document.getElementById('deploy').addEventListener('click', async () => {
    errorList.replaceChildren(); errorList.classList.add('hidden');
    const data = new FormData();
    data.append('files', new Blob([await xml()], { type: 'application/xml' }), key + '.dmn');
    const deployed = await diwan.api('POST', '/api/v1/deployments', data);
    if (deployed.ok) {
      const decision = (deployed.body.decisions || []).find(d => d.key === key);
      diwan.show(message, 'success', 'Table de décision déployée' + (decision ? ' (version ' + decision.version + ').' : '.'));
      document.body.dataset.deployed = decision ? key + ':' + decision.version : 'ok';
    } else {
      const errors = Array.isArray(deployed.body && deployed.body.errors) ? deployed.body.errors : [];
      errors.forEach(e => errorList.append(diwan.el('li', { text: (e.element ? e.element + ' : ' : '') + e.message })));
      errorList.classList.toggle('hidden', !errors.length);
      diwan.show(message, 'error', diwan.describeError(deployed));
      document.body.dataset.deployed = 'error';
    }
  });
  document.getElementById('download').addEventListener('click', async () => {
    const a = diwan.el('a', { href: URL.createObjectURL(new Blob([await xml()], { type: 'application/xml' })), download: key + '.dmn' });
    document.body.append(a); a.click(); a.remove();
  });
})();
