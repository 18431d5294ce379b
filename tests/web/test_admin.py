"""The admin console in the browser: an incident with its error retried, instances suspended,
resumed and cancelled with reasons, users and groups (display names, membership, disabling,
passwords), who may start a process, the admin log verified."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from engine import ConnectorRegistry, Engine, EngineSettings
from tests.conftest import fixture_files, verify_every_instance


@pytest.fixture
def engine(database_url, clock):
    """Timers with a connector that fails until told otherwise, retried without waiting."""
    registry = ConnectorRegistry()
    registry.registry_up = False

    @registry.value("registry_lookup")
    def lookup(call):
        if not registry.registry_up:
            raise ConnectionError("label registry unreachable")
        return {"label_valid": True}

    @registry.effect("notify")
    def notify(delivery):
        return None

    settings = EngineSettings(database_url=database_url, retry_backoff_seconds=0, max_attempts=3)
    eng = Engine(settings=settings, clock=clock, connectors=registry)
    eng.deploy(fixture_files("timers.bpmn"))
    yield eng
    verify_every_instance(eng)
    eng.dispose()


def _reply(page, answer):
    page.once("dialog", lambda dialog: dialog.accept(answer))


def test_admin_sees_an_incident_with_its_error_and_retries_it(engine, session_factory, users):
    inst = engine.start("flaky", {})
    engine.advance_clock(by=timedelta(hours=2))
    for _ in range(2):
        engine.fire_due_timers()
    assert engine.get_instance(inst.id).status == "failed"
    s = session_factory()
    page = s.login(users["admin"])
    page.goto("/admin")
    expect(page.locator("#tile-incidents strong")).to_have_text("1")
    page.locator("#tile-incidents").click()
    row = page.locator("#incidents tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("label registry unreachable")
    expect(row).to_contain_text("x_wait")
    s.shot("admin-incidents")
    engine.connectors.registry_up = True  # the outside system is back
    row.get_by_role("button", name="Relancer").click()
    expect(page.locator("#admin-message")).to_contain_text("Incident relancé")
    expect(page.locator("#no-incidents")).to_be_visible()
    assert engine.get_instance(inst.id).status == "running"
    engine.fire_due_timers()
    assert engine.get_instance(inst.id).status == "completed"
    retried = [e for e in engine.history(inst.id) if e.type == "incident_retried"]
    assert retried and retried[0].actor == users["admin"]
    s.assert_no_errors()


def test_admin_suspends_resumes_and_cancels_with_reasons(engine, session_factory, users):
    inst = engine.start("calendar", {"delay": "P1D"}, business_key="CAL-1")
    s = session_factory()
    page = s.login(users["admin"])
    page.goto("/admin/instances")
    row = page.locator('#admin-instances tr[data-business-key="CAL-1"]')
    _reply(page, "Pièces en attente")
    row.get_by_role("button", name="Suspendre…").click()
    expect(row).to_contain_text("Suspendue")
    _reply(page, "Pièces reçues")
    row.get_by_role("button", name="Reprendre…").click()
    expect(row).to_contain_text("En cours")
    _reply(page, "Demande retirée par le requérant")
    row.get_by_role("button", name="Annuler…").click()
    expect(page.locator("#admin-message")).to_contain_text("Dossier annulé")
    reasons = {e.type: e.payload.get("reason") for e in engine.history(inst.id)}
    assert reasons["instance_suspended"] == "Pièces en attente"
    assert reasons["instance_resumed"] == "Pièces reçues"
    assert reasons["instance_cancelled"] == "Demande retirée par le requérant"
    assert engine.get_instance(inst.id).status == "cancelled"
    s.assert_no_errors()


def test_admin_manages_groups_and_users(engine, session_factory, users):
    s = session_factory()
    page = s.login(users["admin"])
    page.goto("/admin/groups")
    page.get_by_label("Identifiant (utilisé dans les diagrammes)").fill("service_social")
    page.get_by_label("Nom affiché").fill("Service social")
    page.get_by_role("button", name="Créer le groupe").click()
    expect(page.locator('#groups tr[data-group="service_social"]')).to_contain_text("Service social")
    page.locator('#groups tr[data-group="bureau_ordre"]').get_by_role("link", name="Gérer").click()
    page.get_by_label("Nom affiché").fill("Bureau d'ordre")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("h1")).to_contain_text("Bureau d'ordre")
    assert engine.group_labels()["bureau_ordre"] == "Bureau d'ordre"

    page.goto("/admin/users")
    form = page.locator("#new-user")
    form.get_by_label("Identifiant").fill("samira.social")
    form.get_by_label("Mot de passe initial").fill("premier-mot-de-passe")
    form.get_by_label("Agent").check()
    form.get_by_label("Service social").check()
    form.get_by_role("button", name="Créer l'utilisateur").click()
    row = page.locator('#users tr[data-user="samira.social"]')
    expect(row).to_contain_text("Service social")  # the display name, not service_social
    expect(page.locator('#users tr[data-user="amina"]')).to_contain_text("Bureau d'ordre")
    s.shot("admin-users")
    row.get_by_role("link", name="Gérer").click()
    page.locator("#user-access").get_by_label("Bureau d'ordre").check()
    page.locator("#user-access").get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#admin-message")).to_contain_text("Enregistré")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Désactiver le compte").click()
    expect(page.locator("#user-state")).to_have_text("Désactivé")
    other = session_factory()
    login = other.page
    login.goto("/login")
    login.get_by_label("Identifiant").fill("samira.social")
    login.get_by_label("Mot de passe").fill("premier-mot-de-passe")
    login.get_by_role("button", name="Se connecter").click()
    expect(login.locator(".alert-error")).to_contain_text("incorrect")
    page.get_by_role("button", name="Réactiver le compte").click()
    expect(page.locator("#user-state")).to_have_text("Actif")
    page.get_by_label("Mot de passe (8 caractères au moins)").fill("second-mot-de-passe")
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.locator("#admin-message")).to_contain_text("Mot de passe changé")
    login.goto("/login")
    login.get_by_label("Identifiant").fill("samira.social")
    login.get_by_label("Mot de passe").fill("second-mot-de-passe")
    login.get_by_role("button", name="Se connecter").click()
    login.wait_for_url(re.compile(r"/tasks$"))
    types = [e.type for e in engine.admin_log(subject="user:samira.social").items]
    assert types == ["password_reset", "user_changed", "user_changed", "user_changed", "user_created"]
    s.assert_no_errors()


def test_admin_says_who_may_start_a_process_and_verifies_the_log(engine, session_factory, users):
    s = session_factory()
    page = s.login(users["admin"])
    page.goto("/admin/definitions")
    row = page.locator('#admin-definitions tr[data-key="calendar"]')
    row.locator("summary").click()
    row.get_by_label("bureau_ordre").check()
    row.get_by_role("button", name="Enregistrer").click()
    expect(page.locator('#admin-definitions tr[data-key="calendar"] .starters')).to_contain_text("bureau_ordre")
    assert engine.get_definition("calendar").starter_groups == ("bureau_ordre",)
    page.goto("/admin/journal")
    expect(page.locator("#journal tbody tr").first).to_contain_text("Droits de démarrage modifiés")
    page.get_by_role("button", name="Vérifier la chaîne").click()
    expect(page.locator("body")).to_have_attribute("data-verified", "ok")
    s.assert_no_errors()


def test_admin_simulates_then_migrates_instances_to_a_new_version(engine, session_factory, users):
    source = (fixture_files("timers.bpmn")[0][1]).decode()
    inst = engine.start("calendar", {"delay": "P1D"}, business_key="CAL-9")
    wait = engine.get_instance(inst.id).active_elements[0]
    engine.deploy([("timers.bpmn", source.replace(f'id="{wait}"', f'id="{wait}_v2"')
                    .replace(f'Ref="{wait}"', f'Ref="{wait}_v2"').encode())])
    s = session_factory()
    page = s.login(users["admin"])
    page.goto("/admin/migrations?process=calendar")
    page.get_by_label("Version cible").select_option("2")
    page.get_by_role("button", name="Simuler").click()
    expect(page.locator("body")).to_have_attribute("data-migration", "dry:1")
    expect(page.locator('#migration-result tr[data-instance="%s"]' % inst.id)).to_contain_text(wait)
    expect(page.locator('#migration-result tr[data-instance="%s"]' % inst.id)).to_contain_text(
        "ne peut pas migrer : la version cible n'a pas l'étape")  # the engine's reason, said in French
    page.get_by_label("Éléments renommés (ancien=nouveau, un par ligne)").fill(f"{wait}={wait}_v2")
    page.get_by_role("button", name="Simuler").click()
    expect(page.locator("body")).to_have_attribute("data-migration", "dry:0")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Migrer").click()
    expect(page.locator("body")).to_have_attribute("data-migration", "done:1")
    moved = engine.get_instance(inst.id)
    assert moved.definition_version == 2 and moved.active_elements == [f"{wait}_v2"]
    assert any(e.type == "instance_migrated" and e.actor == users["admin"] for e in engine.history(inst.id))
    s.shot("admin-migration")
    s.assert_no_errors()
