/* The instance page: coloured diagram, event timeline, time travel, verification. */
(async function () {
  'use strict';
  const t = diwan.t;
  const root = document.getElementById('instance-page');
  const d = root.dataset;
  const base = '/api/v1/process-instances/' + encodeURIComponent(d.instanceId);
  const result = document.getElementById('verify-result');
  const dataList = document.getElementById('case-data');
  const dataWhen = document.getElementById('data-when');
  const timeline = document.getElementById('timeline');

  const verify = document.getElementById('verify');
  if (verify) {
    verify.addEventListener('click', async () => {
      verify.disabled = true;
      diwan.show(result, 'info', t('Vérification en cours…'));
      const r = await diwan.api('POST', base + '/verify');
      verify.disabled = false;
      if (!r.ok) { diwan.show(result, 'error', diwan.describeError(r)); return; }
      const v = r.body;
      const sealed = { verified: ' ' + t('Point de contrôle signé n°{n} : conforme.', { n: v.checkpoint.seq }),
        not_covered: ' ' + t('Dossier plus récent que le dernier point de contrôle signé.'),
        none: ' ' + t('Aucun point de contrôle signé pour le moment.'), off: ' ' + t('Points de contrôle signés désactivés.'),
        failed: '' }[v.checkpoint.status] || '';
      if (v.ok) {
        diwan.show(result, 'success', t("Intégrité vérifiée : la chaîne d'empreintes est intacte, le rejeu des événements redonne exactement l'historique enregistré et les données stockées lui correspondent.") + sealed);
      } else {
        const ok = { chain: v.chain_ok ? t('intacte') : t('rompue'), replay: v.replay_ok ? t('conforme') : t('divergent'),
          stored: v.projections_ok === null ? t('non vérifiées') : (v.projections_ok ? t('conformes') : t('divergentes')) };
        diwan.show(result, 'error', (v.first_bad_seq ? t("Anomalie détectée à l'événement #{seq}", { seq: v.first_bad_seq }) : t('Anomalie détectée')) +
          ' — ' + t('chaîne : {state}', { state: ok.chain }) +
          ', ' + t('rejeu : {state}', { state: ok.replay }) +
          ', ' + t('données stockées : {state}', { state: ok.stored }) +
          (v.findings.length ? ', ' + t('{n} écart(s)', { n: v.findings.length }) : '') + (v.detail ? ' (' + v.detail + ')' : '') + '.');
      }
      result.dataset.chainOk = String(v.chain_ok); result.dataset.replayOk = String(v.replay_ok);
    });
  }

  const [viewer, history, current] = await Promise.all([
    diwanDiagram.open('#diagram', d.definitionKey, d.version).catch(err => {
      diwan.show(result, 'error', t('Schéma indisponible : {detail}', { detail: err.message }));
      return null;
    }),
    diwan.api('GET', base + '/history'),
    diwan.api('GET', base),
  ]);
  const events = history.ok ? diwan.withDiffs(history.body.events) : [];
  const labels = JSON.parse(d.labels || 'null') || undefined;
  events.forEach(e => timeline.append(diwan.eventItem(e, viewer ? viewer.diwanNames : {}, labels)));
  const now = diwanDiagram.progress(events);
  const failed = JSON.parse(d.failed);
  if (viewer) {
    diwanDiagram.mark(viewer, { done: now.done, active: JSON.parse(d.active), failed: failed, counts: now.counts,
      taken: JSON.parse(d.taken) });
  }
  if (current.ok) diwan.renderData(dataList, current.body.data, labels);
  document.body.dataset.diagramReady = 'true';

  const slider = document.getElementById('step');
  if (!slider || !events.length) return;
  const last = events[events.length - 1].seq;
  const label = document.getElementById('step-label'), info = document.getElementById('step-info');
  slider.max = String(last); slider.value = String(last); slider.disabled = false;
  label.textContent = last + ' / ' + last;
  let pending = 0;

  async function travel(seq) {
    const ticket = ++pending;
    const r = await diwan.api('GET', base + '/state?at_seq=' + seq);
    if (ticket !== pending) return;  // a later move won
    if (!r.ok) { diwan.show(result, 'error', diwan.describeError(r)); return; }
    const p = diwanDiagram.progress(events, seq);
    if (viewer) {
      diwanDiagram.mark(viewer, { done: Object.keys(r.body.completed_elements), active: r.body.active_elements,
        failed: p.failed, counts: r.body.completed_elements, taken: r.body.taken_flows });
    }
    diwan.renderData(dataList, r.body.data, labels);
    const event = events.find(e => e.seq === seq);
    label.textContent = seq + ' / ' + last;
    info.textContent = event ? diwan.eventLabel(event.type) + ' · ' + diwan.formatDate(event.at) : '';
    dataWhen.textContent = seq === last ? t('(état actuel)') : t("(après l'événement #{seq})", { seq: seq });
    timeline.querySelectorAll('li.event').forEach(li => {
      const s = Number(li.dataset.seq);
      li.classList.toggle('future', s > seq);
      li.classList.toggle('current', s === seq);
    });
    document.body.dataset.step = String(seq);
  }
  slider.addEventListener('input', () => travel(Number(slider.value)));
  timeline.addEventListener('click', event => {
    const li = event.target.closest('li.event');
    if (li) { slider.value = li.dataset.seq; travel(Number(li.dataset.seq)); }
  });
})();
