"""Users and groups administered through commands: roles, groups, disabling (no login, no
token), password resets (tokens revoked), the groups' display names; each in the admin log."""
from __future__ import annotations

import pytest

from engine import Actor, Conflict, InvalidData, NotFound
from engine.identity import Unauthorized, UserStore, password_hasher

ROOT = Actor("root", roles=("admin",))


@pytest.fixture
def store(engine):
    return UserStore(engine.db, hasher=password_hasher("CHEAPEST"))


def test_create_user__is_in_the_admin_log_and_its_groups_join_the_directory(engine, store):
    store.create_user("amina", "correct horse", ["clerk"], ["bureau_ordre"], actor="root")
    [event] = engine.admin_log().items
    assert (event.type, event.actor, event.subject) == ("user_created", "root", "user:amina")
    assert event.payload == {"roles": ["clerk"], "groups": ["bureau_ordre"]}
    assert engine.groups() == [{"name": "bureau_ordre", "label": "bureau_ordre", "labelled": False, "members": 1,
                                "created_at": engine.groups()[0]["created_at"]}]
    with pytest.raises(Conflict):
        store.create_user("amina", "correct horse", ["clerk"])


def test_group_labels__named_once_shown_everywhere(engine, store):
    store.create_user("amina", "correct horse", ["clerk"], ["bureau_ordre"])
    engine.save_group("bureau_ordre", "Bureau d'ordre", actor=ROOT)
    assert engine.group_labels() == {"bureau_ordre": "Bureau d'ordre"}
    engine.save_group("consulats", "Consulats", members=["amina"], actor=ROOT)
    assert store.get_user("amina").groups == ("bureau_ordre", "consulats")
    assert engine.group_members("consulats") == ["amina"]
    engine.save_group("consulats", "Consulats généraux", members=[], actor=ROOT)
    assert store.get_user("amina").groups == ("bureau_ordre",)
    assert engine.admin_log(subject="group:consulats").items[0].payload["removed"] == ["amina"]
    with pytest.raises(InvalidData):
        engine.save_group("bad name!", "X")
    with pytest.raises(NotFound):
        engine.save_group("consulats", "Consulats", members=["nobody"])


def test_update_user__roles_and_groups_change_and_are_logged(engine, store):
    store.create_user("amina", "correct horse", ["clerk"], ["bureau_ordre"])
    view = engine.update_user("amina", roles=["clerk", "auditor"], groups=["service_social"], actor=ROOT)
    assert view.roles == ("auditor", "clerk") and view.groups == ("service_social",)
    event = engine.admin_log().items[0]
    assert event.type == "user_changed" and event.payload["groups"] == {"from": ["bureau_ordre"],
                                                                        "to": ["service_social"]}
    with pytest.raises(InvalidData) as err:
        engine.update_user("amina", roles=["wizard"], actor=ROOT)
    assert "roles" in err.value.errors


def test_disable__no_login_no_token_then_enable(engine, store):
    store.create_user("amina", "correct horse", ["clerk"])
    token = store.login("amina", "correct horse").token
    assert store.resolve(token) is not None
    assert engine.update_user("amina", disabled=True, actor=ROOT).disabled_at is not None
    assert store.resolve(token) is None
    with pytest.raises(Unauthorized):
        store.login("amina", "correct horse")
    engine.update_user("amina", disabled=False, actor=ROOT)
    assert store.login("amina", "correct horse").token


def test_an_admin_cannot_lock_themselves_out(engine, store):
    store.create_user("root", "correct horse", ["admin"])
    with pytest.raises(InvalidData):
        engine.update_user("root", disabled=True, actor=ROOT)
    with pytest.raises(InvalidData):
        engine.update_user("root", roles=["clerk"], actor=ROOT)


def test_reset_password__old_one_and_tokens_stop_working(engine, store):
    store.create_user("amina", "correct horse", ["clerk"])
    token = store.login("amina", "correct horse").token
    engine.reset_password("amina", store.hash_password("battery staple"), actor=ROOT)
    assert store.resolve(token) is None
    with pytest.raises(Unauthorized):
        store.login("amina", "correct horse")
    assert store.login("amina", "battery staple").token
    assert engine.admin_log().items[0].type == "password_reset" and engine.admin_log().items[0].payload == {}
    with pytest.raises(InvalidData):
        store.hash_password("short")
    assert engine.verify_admin_log() is None
