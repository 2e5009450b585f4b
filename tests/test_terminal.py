"""`errand run` in a real terminal (a pseudo-terminal): the approval is shown in plain words
and the person answers details / approve / edit / reject at the prompt."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest

from openai_stub import OpenAIStub
from test_e2e_llm import created_bookings, travel_responder
from tests_support import cli_env


def spawn(args: list[str], env: dict) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "agents.cli", *args], env=env, encoding="utf-8",
                          timeout=60, dimensions=(50, 160))
    return child


@pytest.fixture
def stub():
    with OpenAIStub(travel_responder) as server:
        yield server


def run_args(stub) -> list[str]:
    return ["run", "book me the cheapest train from Beijing to Shanghai on Dec 19", "--agent", "travel",
            "--model", "openai:stub", "--base-url", stub.base_url]


def test_details_then_approve_in_the_terminal(stub, errand_home):
    env = cli_env(errand_home)
    child = spawn(run_args(stub), env)
    child.expect("approval 2.1")
    child.expect("costs")
    child.expect("up to 395.50 CNY")
    child.expect("shares")
    child.expect(r"\[a\]pprove / \[e\]dit / \[r\]eject / \[d\]etails")
    child.sendline("d")
    child.expect("args hash")
    child.expect(r"\[a\]pprove")
    child.sendline("a")
    child.expect("Booked BK-")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(created_bookings(env)) == 1


def test_edit_in_the_terminal_runs_the_edited_args(stub, errand_home):
    env = cli_env(errand_home)
    child = spawn(run_args(stub), env)
    child.expect(r"\[a\]pprove / \[e\]dit")
    child.sendline("e")
    child.expect("new args as JSON")
    edited = {"offer_id": "TR-D2895-2026-12-19", "seat_class": "first", "passenger_name": "李明 (Li Ming)",
              "passenger_id_number": "11010519900307451X", "contact_phone": "13800138000",
              "payment_method": "card-cmb", "max_price": "700"}
    child.sendline(json.dumps(edited, ensure_ascii=False))
    # the edited action went through the gate again and is shown again with the new args
    child.expect("TR-D2895-2026-12-19 \\(first class\\)")
    child.expect(r"\[a\]pprove / \[e\]dit")
    child.sendline("a")
    child.expect(pexpect.EOF)
    child.close()
    bookings = created_bookings(env)
    assert len(bookings) == 1 and bookings[0]["seat_class"] == "first"
    assert bookings[0]["payment_method"] == "card-cmb"


def test_reject_in_the_terminal(stub, errand_home):
    env = cli_env(errand_home)
    child = spawn(run_args(stub), env)
    child.expect(r"\[a\]pprove / \[e\]dit")
    child.sendline("r")
    child.expect("reason")
    child.sendline("I will take the plane")
    child.expect("I did not book anything")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert created_bookings(env) == []
