/* Read-only BPMN diagram (bpmn-js navigated viewer) with state markers. */
(function () {
  'use strict';
  const MARKERS = ['dw-done', 'dw-active', 'dw-failed'];

  async function open(container, key, version) {
    const viewer = new BpmnJS({ container: container, additionalModules: window.diwanBpmnIo ? [diwanBpmnIo.translateModule] : [] });
    const query = version ? '?version=' + encodeURIComponent(version) : '';
    const result = await diwan.api('GET', '/api/v1/process-definitions/' + encodeURIComponent(key) + '/xml' + query);
    if (!result.ok) throw new Error(diwan.describeError(result));
    try {
      await viewer.importXML(result.body);
    } catch (err) {  // bpmn-js says why in English: the page says it in its language
      throw new Error(/no diagram to display/.test(err.message) ? diwan.t("la procédure n'a pas de dessin")
        : diwan.t('le schéma ne peut pas être lu'));
    }
    viewer.get('canvas').zoom('fit-viewport', 'auto');
    const names = {};
    viewer.get('elementRegistry').getAll().forEach(e => {
      if (e.businessObject && e.businessObject.name) names[e.id] = e.businessObject.name;
    });
    viewer.diwanNames = names;
    viewer.diwanMarked = [];
    return viewer;
  }

  /** Colour the diagram: state = {done: [ids], active: [ids], failed: [ids], counts: {id: n}, taken: [flow ids]}. */
  function mark(viewer, state) {
    const canvas = viewer.get('canvas'), registry = viewer.get('elementRegistry'), overlays = viewer.get('overlays');
    viewer.diwanMarked.forEach(([id, m]) => canvas.removeMarker(id, m));
    viewer.diwanMarked = [];
    overlays.remove({ type: 'dw-count' });
    const add = (id, marker) => {
      if (registry.get(id)) { canvas.addMarker(id, marker); viewer.diwanMarked.push([id, marker]); }
    };
    const active = new Set(state.active || []), failed = new Set(state.failed || []);
    const done = new Set((state.done || []).filter(id => !active.has(id) && !failed.has(id)));
    done.forEach(id => add(id, 'dw-done'));
    active.forEach(id => add(id, 'dw-active'));
    failed.forEach(id => add(id, 'dw-failed'));
    if (state.taken) {  // the flows the history took (time travel), never inferred from the shape
      state.taken.forEach(id => add(id, 'dw-done'));
    } else {
      registry.filter(e => e.type === 'bpmn:SequenceFlow').forEach(flow => {
        const s = flow.source && flow.source.id, t = flow.target && flow.target.id;
        if (done.has(s) && (done.has(t) || active.has(t) || failed.has(t))) add(flow.id, 'dw-done');
      });
    }
    Object.entries(state.counts || {}).forEach(([id, n]) => {
      if (n > 1 && registry.get(id)) {
        const badge = document.createElement('span');
        badge.className = 'dw-count'; badge.textContent = '×' + n;
        overlays.add(id, 'dw-count', { position: { top: -10, right: 8 }, html: badge });
      }
    });
  }

  /** Element ids done (and how often) at or before `seq` from the history events. */
  function progress(events, seq) {
    const done = [], counts = {}, failed = new Set();
    events.forEach(e => {
      if (seq !== undefined && e.seq > seq) return;
      if (e.element_id && ['element_completed', 'task_completed', 'timer_fired',
                           'external_task_completed'].includes(e.type)) {
        done.push(e.element_id);
        counts[e.element_id] = (counts[e.element_id] || 0) + 1;
      }
      if (e.type === 'incident_created' && e.element_id) failed.add(e.element_id);
      if (e.type === 'incident_retried' && e.element_id) failed.delete(e.element_id);
    });
    return { done: done, counts: counts, failed: [...failed] };
  }

  /** Zoom on an element (large diagrams stay readable in a small frame). */
  function focus(viewer, id, scale) {
    const element = viewer.get('elementRegistry').get(id);
    const canvas = viewer.get('canvas');
    if (!element || canvas.viewbox().scale >= (scale || 0.75)) return;
    const outer = canvas.viewbox().outer, s = scale || 0.75;
    const width = outer.width / s, height = outer.height / s;
    const cx = element.x + (element.width || 0) / 2, cy = element.y + (element.height || 0) / 2;
    canvas.viewbox({ x: cx - width / 2, y: cy - height / 2, width: width, height: height });
  }

  window.diwanDiagram = { open, mark, MARKERS, progress, focus };
})();
