/* form-js viewer helpers: render a schema with data, show the API's field errors on the fields. */
(function () {
  'use strict';

  async function render(container, schema, data, readOnly) {
    const form = new FormViewer.Form({ container: container });
    if (window.diwanBpmnIo) { diwanBpmnIo.translateValidator(form); diwanBpmnIo.translateDom(container); }
    await form.importSchema(schema, data || {});
    if (readOnly) form.setProperty('readOnly', true);
    return form;
  }

  /** errors: {key: [messages]} from a 422; marks the fields and lists the rest in `summary`. */
  function showServerErrors(form, errors, summary) {
    const byKey = {};
    form.get('formFieldRegistry').getAll().forEach(f => { if (f.key) byKey[f.key] = f; });
    const fieldErrors = {};
    summary.replaceChildren();
    Object.entries(errors || {}).forEach(([key, messages]) => {
      const list = (Array.isArray(messages) ? messages : [messages]).map(m => diwan.serverText(String(m)));
      const field = byKey[key];
      if (field) fieldErrors[field.id] = list;
      const label = field && field.label ? field.label : key;
      summary.append(diwan.el('li', { 'data-field': key, text: label + ' : ' + list.join(' ') }));
    });
    form._setState({ errors: fieldErrors });
    summary.classList.toggle('hidden', !summary.children.length);
    const first = summary.firstElementChild;
    if (first) summary.scrollIntoView({ block: 'nearest' });
  }

  /** Bring the first field in error into view and focus it (after form-js has drawn the errors). */
  function focusFirstError(container) {
    requestAnimationFrame(() => {
      const field = container && container.querySelector('.fjs-has-errors, .fjs-form-field-error');
      if (!field) return;
      const wrapper = field.closest('.fjs-form-field') || field;
      wrapper.scrollIntoView({ block: 'center' });
      // Focus a field one types into; a choice list would open on focus and cover the form.
      const typed = !/fjs-form-field-(select|taglist|datetime)/.test(wrapper.className);
      const input = typed && wrapper.querySelector('input:not([type=radio]):not([type=checkbox]):not([type=file]), textarea');
      if (input) input.focus({ preventScroll: true });
      document.body.dataset.errorShown = wrapper.querySelector('[name]') ? wrapper.querySelector('[name]').getAttribute('name') : 'field';
    });
  }

  function clearErrors(summary) { summary.replaceChildren(); summary.classList.add('hidden'); }

  /** A "submit" button under the form unless the schema has its own. */
  function ensureSubmit(form, container, label) {
    const own = form.get('formFieldRegistry').getAll().some(f => f.type === 'button' && f.action === 'submit');
    if (own) return null;
    const button = diwan.el('button', { className: 'btn btn-primary', type: 'button', id: 'submit-form', text: label });
    button.addEventListener('click', () => form.submit());
    container.after(button);
    return button;
  }

  window.diwanForms = { render, showServerErrors, clearErrors, ensureSubmit, focusFirstError };
})();
