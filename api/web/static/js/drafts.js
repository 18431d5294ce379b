/* Drafts shared by the three editors: load the draft (or the published version), save it by
   revision, discard it, re-publish an old version. The page keeps {kind, key, revision, base}. */
(function () {
  'use strict';
  const t = diwan.t;
  const enc = encodeURIComponent;

  function sourceUrl(kind, key, version) {
    const q = version ? '?version=' + enc(version) : '';
    if (kind === 'process') return '/api/v1/process-definitions/' + enc(key) + '/xml' + q;
    if (kind === 'decision') return '/api/v1/decisions/' + enc(key) + '/xml' + q;
    return '/api/v1/forms/' + enc(key) + (q ? q + '&' : '?') + 'download=true';
  }

  /** The text to edit: {source, draft (or null), readOnly}. `version`: an old version, read only. */
  async function open(state, version) {
    if (!version) {
      const draft = await diwan.api('GET', '/api/v1/drafts/' + state.kind + '/' + enc(state.key));
      if (draft.ok) {
        state.revision = draft.body.revision;
        return { source: draft.body.source, draft: draft.body, readOnly: false };
      }
      if (draft.status !== 404) throw new Error(diwan.describeError(draft));
    }
    state.revision = 0;
    if (!state.base && !version) return { source: null, draft: null, readOnly: false };
    const published = await diwan.api('GET', sourceUrl(state.kind, state.key, version || state.base));
    if (!published.ok) throw new Error(diwan.describeError(published));
    const text = typeof published.body === 'string' ? published.body : JSON.stringify(published.body, null, 2);
    return { source: text, draft: null, readOnly: !!version };
  }

  /** Save the text as the draft; resolves to the API result (state follows a renamed key). */
  async function save(state, source) {
    const body = { source: source, revision: state.revision, base_version: state.revision ? null : (state.base || null) };
    const result = await diwan.api('PUT', '/api/v1/drafts/' + state.kind + '/' + enc(state.key), body);
    if (result.ok) {
      state.revision = result.body.revision;
      if (result.body.key !== state.key) state.key = result.body.key;
    }
    return result;
  }

  async function discard(state) {
    return diwan.api('DELETE', '/api/v1/drafts/' + state.kind + '/' + enc(state.key) + '?revision=' + state.revision);
  }

  async function republish(kind, key, version) {
    return diwan.api('POST', '/api/v1/definitions/' + kind + '/' + enc(key) + '/versions/' + enc(version) + '/republish');
  }

  function savedText(draft) {
    return t('Brouillon enregistré (révision {n}, par {who}, {when}). Rien ne change pour les agents avant la publication.',
      { n: draft.revision, who: draft.saved_by, when: diwan.formatDate(draft.saved_at) });
  }

  function publishUrl(state) { return '/designer/' + state.kind + '/' + enc(state.key) + '/publish'; }

  window.diwanDrafts = { open, save, discard, republish, savedText, publishUrl, sourceUrl };
})();
