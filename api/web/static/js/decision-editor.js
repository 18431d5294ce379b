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
    await diwan.deployFile(new Blob([await xml()], { type: 'application/xml' }), key + '.dmn', 'decisions', key,
                           message, errorList, 'Table de décision déployée');
  });
  document.getElementById('download').addEventListener('click', async () => {
    const a = diwan.el('a', { href: URL.createObjectURL(new Blob([await xml()], { type: 'application/xml' })), download: key + '.dmn' });
    document.body.append(a); a.click(); a.remove();
  });
})();
