/* The inbox keeps itself current: a small poll of the task count (JSON), never a reload while
   the clerk types; when the count changed, a notice offers to refresh. */
(function () {
  'use strict';
  const form = document.getElementById('inbox-filters');
  const news = document.getElementById('inbox-news');
  if (!form || !news) return;
  const known = Number(form.dataset.totalAll);
  const every = Math.max(1000, Number(form.dataset.pollMs) || 20000);
  async function poll() {
    if (document.hidden) return;
    const r = await diwan.api('GET', '/api/v1/tasks?per_page=1');
    if (!r.ok) return;
    document.body.dataset.inboxPolled = String(r.body.total);
    news.classList.toggle('hidden', r.body.total === known);
  }
  setInterval(poll, every);
})();
