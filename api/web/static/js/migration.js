/* Instance migration page: simulate (dry run), then migrate; the API does the work. */
(function () {
  'use strict';
  const t = diwan.t;
  const form = document.getElementById('migration');
  const versions = JSON.parse(form.dataset.versions);
  const $ = id => document.getElementById(id);
  const message = document.getElementById('admin-message');

  function fill() {
    const list = versions[$('m-process').value] || [];
    $('m-to').replaceChildren(...list.map(v => diwan.el('option', { value: v, text: 'v' + v })));
    $('m-from').replaceChildren(diwan.el('option', { value: '', text: t('Toutes les autres') }),
      ...list.map(v => diwan.el('option', { value: v, text: 'v' + v })));
  }
  $('m-process').addEventListener('change', fill);
  fill();

  function body(dryRun) {
    const mapping = {};
    $('m-mapping').value.split('\n').map(l => l.trim()).filter(Boolean).forEach(line => {
      const [old, neu] = line.split('=').map(s => (s || '').trim());
      if (old && neu) mapping[old] = neu;
    });
    return { to_version: Number($('m-to').value), from_version: $('m-from').value ? Number($('m-from').value) : null,
             mapping: mapping, dry_run: dryRun };
  }

  function render(result, problems) {
    const tbody = $('migration-result').querySelector('tbody');
    tbody.replaceChildren();
    (result.instances || []).forEach(i => {
      const tr = diwan.el('tr', { 'data-instance': i.instance_id, className: i.ok ? '' : 'overdue' });
      const link = diwan.el('a', { href: '/instances/' + encodeURIComponent(i.instance_id), text: i.business_key || i.instance_id.slice(0, 8) });
      const cell = diwan.el('td');
      cell.append(link);
      tr.append(cell, diwan.el('td', { text: 'v' + i.from_version }),
        diwan.el('td', { text: i.ok ? (result.dry_run ? t('peut migrer') : t('migré')) : t('ne peut pas migrer : {reason}', { reason: diwan.serverText(i.reason || '') }) }));
      tbody.append(tr);
    });
    const blocked = (result.instances || []).filter(i => !i.ok).length;
    $('migration-summary').textContent = result.dry_run
      ? t('{n} dossier(s) ; {blocked} ne peuvent pas migrer vers v{v}.', { n: result.instances.length, blocked: blocked, v: result.to_version })
      : t('{n} dossier(s) migré(s) vers v{v}.', { n: result.migrated, v: result.to_version });
    document.body.dataset.migration = (result.dry_run ? 'dry:' : 'done:') + (result.dry_run ? blocked : result.migrated);
  }

  async function run(dryRun) {
    const key = $('m-process').value;
    const result = await diwan.api('POST', '/api/v1/process-definitions/' + encodeURIComponent(key) + '/migrations', body(dryRun));
    if (result.ok) { render(result.body); if (!dryRun) diwan.show(message, 'success', t('Migration faite.')); return; }
    diwan.show(message, 'error', diwan.describeError(result) + (result.body && result.body.errors
      ? ' — ' + Object.entries(result.body.errors).map(([k, v]) => k.slice(0, 8) + ' : ' + [].concat(v).map(m => diwan.serverText(m)).join(' ')).join(' ; ') : ''));
    document.body.dataset.migration = 'refused';
  }
  $('simulate').addEventListener('click', () => run(true));
  $('migrate').addEventListener('click', () => {
    if (window.confirm(t('Migrer les dossiers ? Chaque dossier migré le restera (son historique le dit).'))) run(false);
  });
})();
