/* The BPMN modeler: bpmn-js + properties panel (Camunda vocabulary), import, download, deploy. */
(async function () {
  'use strict';
  const root = document.getElementById('modeler-page');
  const message = document.getElementById('modeler-message');
  const errorList = document.getElementById('deploy-errors');
  const key = root.dataset.key;

  const NEW_DIAGRAM = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" ' +
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">\n' +
    '  <bpmn:process id="nouvelle_procedure" name="Nouvelle procédure" isExecutable="true">\n' +
    '    <bpmn:startEvent id="debut" name="Début" />\n' +
    '  </bpmn:process>\n' +
    '  <bpmndi:BPMNDiagram id="BPMNDiagram_1">\n' +
    '    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="nouvelle_procedure">\n' +
    '      <bpmndi:BPMNShape id="debut_di" bpmnElement="debut"><dc:Bounds x="180" y="160" width="36" height="36" /></bpmndi:BPMNShape>\n' +
    '    </bpmndi:BPMNPlane>\n' +
    '  </bpmndi:BPMNDiagram>\n' +
    '</bpmn:definitions>\n';

  const camunda = await (await fetch(root.dataset.camunda)).json();
  const P = window.BpmnJSPropertiesPanel;
  const modeler = new BpmnJS({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    additionalModules: [P.BpmnPropertiesPanelModule, P.BpmnPropertiesProviderModule, P.CamundaPlatformPropertiesProviderModule],
    moddleExtensions: { camunda: camunda },
  });
  window.diwanModeler = modeler;
  let errorMarks = [];

  function clearErrors() {
    const canvas = modeler.get('canvas');
    errorMarks.forEach(id => { try { canvas.removeMarker(id, 'dw-error'); } catch (e) { /* element gone */ } });
    errorMarks = [];
    modeler.get('overlays').remove({ type: 'dw-error' });
    errorList.replaceChildren();
    errorList.classList.add('hidden');
  }

  async function load(xml, source) {
    clearErrors();
    document.body.dataset.imported = '';
    try {
      const result = await modeler.importXML(xml);
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      document.body.dataset.imported = 'ok:' + result.warnings.length;
      document.body.dataset.importedFile = source || key || 'new';
      if (result.warnings.length) {
        diwan.show(message, 'warning', (source || 'Diagramme') + ' importé avec ' + result.warnings.length + ' avertissement(s) : ' +
          result.warnings.slice(0, 3).map(w => w.message).join(' ; '));
      } else if (source) {
        diwan.show(message, 'info', source + ' importé.');
      }
    } catch (err) {
      document.body.dataset.imported = 'error:' + err.message;
      document.body.dataset.importedFile = source || key || 'new';
      diwan.show(message, 'error', "Import impossible : " + err.message);
    }
  }

  function processId() {
    const rootElement = modeler.get('canvas').getRootElement();
    const bo = rootElement && rootElement.businessObject;
    if (bo && bo.$type === 'bpmn:Process') return bo.id;
    if (bo && bo.$type === 'bpmn:Collaboration') {
      const executable = (bo.participants || []).map(p => p.processRef).filter(Boolean);
      if (executable.length) return executable[0].id;
    }
    return key || 'diagramme';
  }

  function fileName() { return (key || processId()) + '.bpmn'; }

  function markErrors(errors) {
    const canvas = modeler.get('canvas'), registry = modeler.get('elementRegistry'), overlays = modeler.get('overlays');
    errors.forEach(e => {
      const element = e.element && registry.get(e.element);
      const li = diwan.el('li', { 'data-element': e.element || '' });
      li.append(e.element ? diwan.el('code', { text: e.element }) : '', e.element ? ' : ' : '', e.message || '');
      if (element) {
        canvas.addMarker(element.id, 'dw-error');
        errorMarks.push(element.id);
        const note = diwan.el('div', { className: 'dw-error-note', text: e.message || 'Erreur' });
        overlays.add(element.id, 'dw-error', { position: { bottom: -6, left: 0 }, html: note });
        li.classList.add('clickable');
        li.addEventListener('click', () => { modeler.get('selection').select(element); canvas.scrollToElement(element); });
      }
      errorList.append(li);
    });
    errorList.classList.toggle('hidden', !errors.length);
  }

  async function deploy() {
    clearErrors();
    diwan.show(message, 'info', 'Déploiement en cours…');
    const { xml } = await modeler.saveXML({ format: true });
    const data = new FormData();
    data.append('files', new Blob([xml], { type: 'application/xml' }), fileName());
    const result = await diwan.api('POST', '/api/v1/deployments', data);
    if (result.ok) {
      const defs = result.body.definitions.map(d => (d.name || d.key) + ' v' + d.version).join(', ');
      diwan.show(message, 'success', 'Déployé : ' + defs + '.');
      document.body.dataset.deployed = result.body.definitions.map(d => d.key + ':' + d.version).join(',');
    } else if (result.status === 422 && Array.isArray(result.body && result.body.errors)) {
      diwan.show(message, 'error', 'Le diagramme ne peut pas être déployé : ' + result.body.errors.length + ' erreur(s), signalée(s) sur le schéma.');
      markErrors(result.body.errors);
      document.body.dataset.deployed = 'error';
    } else {
      diwan.show(message, 'error', diwan.describeError(result));
      document.body.dataset.deployed = 'error';
    }
  }

  async function download() {
    const { xml } = await modeler.saveXML({ format: true });
    const a = diwan.el('a', { href: URL.createObjectURL(new Blob([xml], { type: 'application/xml' })), download: fileName() });
    document.body.append(a); a.click(); a.remove();
  }

  document.getElementById('deploy').addEventListener('click', deploy);
  document.getElementById('download').addEventListener('click', download);
  document.getElementById('import-file').addEventListener('change', event => {
    const file = event.target.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => load(String(reader.result), file.name);
    reader.readAsText(file);
    event.target.value = '';
  });

  if (key) {
    const query = root.dataset.version ? '?version=' + encodeURIComponent(root.dataset.version) : '';
    const result = await diwan.api('GET', '/api/v1/process-definitions/' + encodeURIComponent(key) + '/xml' + query);
    if (!result.ok) { diwan.show(message, 'error', diwan.describeError(result)); return; }
    await load(result.body, '');
  } else {
    await load(NEW_DIAGRAM, '');
  }
})();
