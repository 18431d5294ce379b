"""Deploy errors in the page's language (issue 13, item 7): the modeler shows each problem of a refused
diagram in French (or Arabic), its element id (what the diagram highlights) and the element's name (the
API test is tests/api/test_hostile_deployments.py; `/i18n/<lang>.js` serves the deploy catalogue."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import deploy_complaints
from .test_i18n import ENGLISH, _login, _open

SAYS = {"fr": "n'est pas déployé : déployez son fichier .form avec ce diagramme, ou corrigez camunda:formKey",
        "ar": "غير منشور: انشر ملف ‎.form الخاص به مع هذا المخطط، أو صحّح camunda:formKey"}


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_modeler__deploy_errors_in_the_pages_language(engine, session_factory, users, lang):
    deploy_complaints(engine)
    s = session_factory()
    page = _login(s, users["designer"], lang)
    _open(page, "/modeler/complaint_handling")
    # The designer points a task at a form that is not deployed and adds a complex gateway, then checks.
    page.evaluate("""async () => {
        let xml = (await window.diwanModeler.saveXML()).xml;
        xml = xml.replace('camunda:formKey="camunda-forms:deployment:rec_qualification.form"',
                          'camunda:formKey="camunda-forms:deployment:rec_absent.form"');
        await window.diwanModeler.importXML(xml);
    }""")
    page.locator("#check").click()
    expect(page.locator("body")).to_have_attribute("data-checked", "error")
    item = page.locator('#deploy-errors li[data-element="qualifier_reclamation"]')
    expect(item).to_have_count(1)
    expect(item).to_contain_text(SAYS[lang])
    expect(item).to_contain_text("« Enregistrer et qualifier la réclamation »")  # the element's name, with its id
    expect(item.locator("code")).to_have_text("qualifier_reclamation")
    expect(page.locator('.djs-element.dw-error[data-element-id="qualifier_reclamation"]')).to_have_count(1)
    shown = page.locator("#deploy-errors").inner_text() + " " + page.locator(".dw-error-note").first.inner_text()
    assert not ENGLISH.findall(shown.replace("Enregistrer et qualifier la réclamation", "")), shown
    s.shot(f"deploy-errors-{lang}")


def test_form_editor__deploy_errors_in_arabic(engine, session_factory, users):
    deploy_complaints(engine)
    s = session_factory()
    page = _login(s, users["designer"], "ar")
    _open(page, "/forms/rec_depot/edit")
    page.evaluate("""() => {
        const list = document.getElementById('deploy-errors'), message = document.createElement('div');
        const bad = new Blob(['{"id": "rec_depot", "components": 3}'], {type: 'application/json'});
        return diwan.deployFile(bad, 'rec_depot.form', 'forms', 'rec_depot', message, list, 'ok');
    }""")
    expect(page.locator("#deploy-errors li").first).to_contain_text("يجب أن تكون «components» في النموذج قائمة.")
    assert not ENGLISH.findall(page.locator("#deploy-errors").inner_text())


def test_script_catalogue__serves_the_deploy_templates(engine, session_factory, users):
    s = session_factory()
    page = s.page
    for lang, said in (("fr", "aucun fichier à déployer"), ("ar", "لا توجد ملفات للنشر")):
        body = page.request.get(f"/i18n/{lang}.js").text()
        assert "window.DIWAN_DEPLOY_MESSAGES" in body and said in body

