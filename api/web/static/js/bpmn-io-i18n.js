/* The bpmn.io libraries in the page's language (French or Arabic): bpmn-js, its properties
   panel and dmn-js through their `translate` service (a module overriding it), form-js (which
   has no translation service in 1.x) through its validator's messages and a translation of
   the texts it renders. Dictionaries: bpmn-io-fr.js and bpmn-io-ar.js (English -> text).
   A text with no entry stays English and is listed in window.diwanUntranslated (the browser
   tests fail on it). */
(function () {
  'use strict';
  const lang = document.documentElement.lang || 'fr';
  const dictionary = (window.DIWAN_BPMN_IO || {})[lang] || {};
  const missing = window.diwanUntranslated = window.diwanUntranslated || new Set();

  function lookup(text) {
    if (Object.prototype.hasOwnProperty.call(dictionary, text)) return dictionary[text];
    return null;
  }

  /** bpmn-js / dmn-js `translate(template, replacements)`. */
  function translate(template, replacements) {
    let out = lookup(template);
    if (out === null) {
      if (template && /[A-Za-z]{2}/.test(template)) missing.add(template);
      out = template;
    }
    return String(out).replace(/{([^}]+)}/g, (m, key) => (replacements && key in replacements ? replacements[key] : m));
  }

  /** The module to give bpmn-js / dmn-js in `additionalModules` (or `common.additionalModules`). */
  const translateModule = { translate: ['value', translate] };

  // form-js: texts rendered in its DOM (placeholders, buttons, empty states), matched whole.
  const PATTERNS = [
    [/^Field must have minimum length of (.+)\.$/, 'Field must have minimum length of {0}.'],
    [/^Field must have maximum length of (.+)\.$/, 'Field must have maximum length of {0}.'],
    [/^Field must have minimum value of (.+)\.$/, 'Field must have minimum value of {0}.'],
    [/^Field must have maximum value of (.+)\.$/, 'Field must have maximum value of {0}.'],
    [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/, 'Please select a valid value, the two nearest valid values are {0} and {1}.'],
  ];

  function say(text) {
    const direct = lookup(text);
    if (direct !== null) return direct;
    for (const [pattern, key] of PATTERNS) {
      const m = text.match(pattern);
      if (m && lookup(key) !== null) return lookup(key).replace(/{(\d)}/g, (x, i) => m[Number(i) + 1]);
    }
    return null;
  }

  const ATTRIBUTES = ['placeholder', 'title', 'aria-label'];

  function translateNode(node) {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.nodeValue.trim();
      if (!text || !/[A-Za-z]{2}/.test(text)) return;
      const out = say(text);
      if (out !== null && out !== text) node.nodeValue = node.nodeValue.replace(text, out);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.closest('[contenteditable], .cm-editor, svg')) return;  // what the designer writes stays as written
    ATTRIBUTES.forEach(a => {
      const value = node.getAttribute(a);
      if (value && /[A-Za-z]{2}/.test(value)) {
        const out = say(value.trim());
        if (out !== null && out !== value) node.setAttribute(a, out);
      }
    });
    node.childNodes.forEach(translateNode);
  }

  /** Keep the texts form-js renders under `container` in the page's language. */
  function translateDom(container) {
    if (!container || lang === 'en') return null;
    const observer = new MutationObserver(records => {
      records.forEach(r => {
        if (r.type === 'characterData' || r.type === 'attributes') translateNode(r.target);
        else r.addedNodes.forEach(translateNode);
      });
      observer.takeRecords();  // our own changes: a translated text is not translated again
    });
    translateNode(container);
    observer.observe(container, { childList: true, subtree: true, characterData: true, attributes: true,
                                  attributeFilter: ATTRIBUTES });
    return observer;
  }

  /** form-js validation messages ("Field is required.") in the page's language. */
  function translateValidator(form) {
    const validator = form.get('validator');
    ['validateField', 'validateFieldInstance'].forEach(name => {
      const original = validator[name];
      if (typeof original !== 'function') return;
      validator[name] = function () {
        const errors = original.apply(this, arguments) || [];
        return errors.map(e => say(String(e)) || e);
      };
    });
  }

  window.diwanBpmnIo = { lang, translate, translateModule, translateDom, translateValidator, say, missing };
})();
