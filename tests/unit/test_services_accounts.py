"""Account rules (services/accounts.py) on the in-memory fakes: sign-up, login lockouts, unique e-mails and
PINs, stores and employees."""
import pytest

from chalicelib.errors import Conflict, InvalidCredentials, InvalidInput, TooManyRequests, Unauthenticated
from chalicelib.services import accounts
from tests.unit.conftest import PASSWORD, later


def test_signup_then_login(shop):
    answer = accounts.login(shop.email.upper(), PASSWORD)
    assert answer["employee"]["role"] == "OWNER"
    assert answer["merchant"]["business_name"] == "Cafe"
    assert accounts.authenticate_user(answer["token"]).merchant_id == shop.merchant_id
    with pytest.raises(Unauthenticated):
        accounts.authenticate_user("nonsense")


def test_five_failures_lock_the_email_out_for_fifteen_minutes(shop):
    for _ in range(accounts.LOGIN_FAILURE_LIMIT):
        with pytest.raises(InvalidCredentials):
            accounts.login(shop.email, "wrong password")
    with pytest.raises(TooManyRequests) as caught:
        accounts.login(shop.email, PASSWORD)  # even the right password, while locked
    assert (caught.value.params, caught.value.retry_after) == ({"minutes": 15}, 900)
    later(minutes=15)
    assert accounts.login(shop.email, PASSWORD)["employee"]["email"] == shop.email


def test_a_success_clears_the_failures(shop):
    for _ in range(accounts.LOGIN_FAILURE_LIMIT - 1):
        with pytest.raises(InvalidCredentials):
            accounts.login(shop.email, "wrong password")
    accounts.login(shop.email, PASSWORD)
    for _ in range(accounts.LOGIN_FAILURE_LIMIT - 1):
        with pytest.raises(InvalidCredentials):
            accounts.login(shop.email, "wrong password")
    accounts.login(shop.email, PASSWORD)


def test_unknown_email_counts_too(fake):
    for _ in range(accounts.LOGIN_FAILURE_LIMIT):
        with pytest.raises(InvalidCredentials):
            accounts.login("nobody@example.com", PASSWORD)
    with pytest.raises(TooManyRequests):
        accounts.login("nobody@example.com", PASSWORD)


def test_tokens_expire(shop):
    token = accounts.login(shop.email, PASSWORD)["token"]
    later(hours=12, seconds=1)
    with pytest.raises(Unauthenticated) as caught:
        accounts.authenticate_user(token)
    assert caught.value.code == "TOKEN_EXPIRED"


def test_emails_are_unique_everywhere_pins_per_merchant(shop):
    with pytest.raises(Conflict) as caught:
        accounts.signup("Other", shop.email.upper(), PASSWORD)
    assert caught.value.code == "EMAIL_TAKEN"
    with pytest.raises(Conflict) as caught:
        accounts.create_employee(shop.owner, {"name": "Ann", "role": "MANAGER", "email": shop.email,
                                              "password": PASSWORD})
    assert caught.value.code == "EMAIL_TAKEN"
    ann = accounts.create_employee(shop.owner, {"name": "Ann", "role": "CASHIER", "pin": "1234"})
    with pytest.raises(Conflict) as caught:
        accounts.create_employee(shop.owner, {"name": "Bob", "role": "CASHIER", "pin": "1234"})
    assert caught.value.code == "PIN_TAKEN"
    accounts.update_employee(shop.owner, ann["id"], {"pin": "5678"})
    accounts.create_employee(shop.owner, {"name": "Bob", "role": "CASHIER", "pin": "1234"})  # freed
    other = accounts.authenticate_user(accounts.signup("Other", "other@example.com", PASSWORD)["token"])
    accounts.create_employee(other, {"name": "Cy", "role": "CASHIER", "pin": "5678"})


def test_owner_rules(shop):
    owner_id = shop.owner.employee_id
    with pytest.raises(Conflict) as caught:
        accounts.update_employee(shop.owner, owner_id, {"role": "MANAGER"})
    assert caught.value.code == "OWNER_ROLE_FIXED"
    with pytest.raises(Conflict) as caught:
        accounts.delete_employee(shop.owner, owner_id)
    assert caught.value.code == "OWNER_CANNOT_BE_DELETED"
    with pytest.raises(InvalidInput) as caught:
        accounts.create_employee(shop.owner, {"name": "Two", "role": "OWNER"})
    assert caught.value.code == "ONE_OWNER"
    with pytest.raises(InvalidInput) as caught:
        accounts.create_employee(shop.owner, {"name": "Ann", "role": "CASHIER", "store_ids": ["nowhere"]})
    assert caught.value.code == "UNKNOWN_STORE"


def test_deleted_employee_loses_access(shop):
    ann = accounts.create_employee(shop.owner, {"name": "Ann", "role": "MANAGER", "email": "ann@example.com"})
    invitation = accounts.create_invitation(shop.owner, ann["id"], "https://back.office")
    accounts.accept_invitation(invitation["token"], PASSWORD)
    token = accounts.login("ann@example.com", PASSWORD)["token"]
    accounts.delete_employee(shop.owner, ann["id"])
    with pytest.raises(Unauthenticated):
        accounts.authenticate_user(token)
    accounts.create_employee(shop.owner, {"name": "Ann 2", "role": "MANAGER", "email": "ann@example.com",
                                          "password": PASSWORD})


def test_store_edited_meanwhile_is_an_edit_conflict(shop, monkeypatch):
    original = shop.adapters.stores.save

    def raced(store, event, expected_updated_at=None, previous_name=None):
        original(shop.adapters.stores.get(store["merchant_id"], store["id"]) | {"updated_at": "later"}, event,
                 expected_updated_at=expected_updated_at)  # another edit landed first
        return original(store, event, expected_updated_at, previous_name)

    monkeypatch.setattr(shop.adapters.stores, "save", raced)
    with pytest.raises(Conflict) as caught:
        accounts.update_store(shop.owner, shop.store_id, {"name": "Renamed"})
    assert caught.value.code == "EDIT_CONFLICT"


def test_a_store_with_pos_devices_cannot_be_deleted(shop):
    shop.device()
    with pytest.raises(Conflict) as caught:
        accounts.delete_store(shop.owner, shop.store_id)
    assert caught.value.code == "STORE_HAS_POS_DEVICES"
    empty = accounts.create_store(shop.owner, "Empty", None)
    accounts.delete_store(shop.owner, empty["id"])
    assert shop.adapters.stores.get(shop.merchant_id, empty["id"]) is None
