/* The SLA dashboard's charts (chart.js, served from node_modules), drawn from the page's tables. */
(function () {
  'use strict';
  const t = diwan.t;
  const rows = sel => Array.from(document.querySelectorAll(sel));
  const volumes = rows('#volumes tbody tr[data-key]');
  const groups = rows('#overdue-groups tbody tr[data-group]');
  const steps = rows('#steps tbody tr[data-label]');
  const options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'bottom' } } };
  const charts = [];
  if (volumes.length) {
    charts.push(new Chart(document.getElementById('chart-volumes'), {
      type: 'bar', options: Object.assign({}, options, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }),
      data: {
        labels: volumes.map(r => r.dataset.label),
        datasets: [['running', t('En cours'), '#1f6f8b'], ['completed', t('Terminés'), '#2e7d32'],
          ['cancelled', t('Annulés'), '#9e9e9e'], ['failed', t('En échec'), '#c62828']]
          .map(([k, label, color]) => ({ label: label, backgroundColor: color, data: volumes.map(r => Number(r.dataset[k])) })),
      },
    }));
  }
  if (groups.length) {
    charts.push(new Chart(document.getElementById('chart-overdue'), {
      type: 'bar', options: Object.assign({}, options, { indexAxis: 'y', plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }),
      data: { labels: groups.map(r => r.dataset.label || r.dataset.group),
        datasets: [{ label: t('Tâches en retard'), backgroundColor: '#c1272d', data: groups.map(r => Number(r.dataset.count)) }] },
    }));
  }
  if (steps.length) {
    charts.push(new Chart(document.getElementById('chart-steps'), {
      type: 'bar', options: Object.assign({}, options, { scales: { y: { beginAtZero: true, title: { display: true, text: t('heures') } } } }),
      data: { labels: steps.map(r => r.dataset.label),
        datasets: [{ label: t('Médiane'), backgroundColor: '#1f6f8b', data: steps.map(r => Number(r.dataset.median)) },
          { label: t('90e centile'), backgroundColor: '#e0a526', data: steps.map(r => Number(r.dataset.p90)) }] },
    }));
  }
  document.body.dataset.charts = String(charts.length);
})();
