"""studio.turns, studio.duration, studio.clients and studio.text: the waiting line of long runs, deadlines,
the banded duration model, client identity and what errors may say (the served behaviour is in
tests/test_hostile_clients.py)."""

from __future__ import annotations

import threading
import time

import pytest

import studio.limits
from nst.errors import ModelError, NSTError, PresetError
from studio.clients import client_keys
from studio.duration import SECONDS_PER_MEGAPIXEL_STEP
from studio.engine import Engine
from studio.text import public_message
from studio.turns import ALREADY_RUNNING, LINE_FULL, STOPPED_WAITING, Deadline, Gate, RunPolicy


def test_one_place_per_owner_and_a_line_of_fixed_length() -> None:
    gate = Gate(waiting=1)
    first = gate.admit(["session:a", "address:1.2.3.4"])
    for owners in (["session:a"], ["session:b", "address:1.2.3.4"]):  # same session, or same address
        with pytest.raises(NSTError, match="You already have a run going"):
            gate.admit(owners)
    second = gate.admit(["session:c", "address:5.6.7.8"])
    with pytest.raises(NSTError) as full:
        gate.admit(["session:d"])
    assert str(full.value) == LINE_FULL and second.ahead() == 1
    first.release()
    second.wait()  # its turn now: returns at once
    assert second.ahead() == 0 and len(gate) == 1
    with gate.admit(["session:a"]):  # released places can be taken again
        pass
    second.release()
    assert len(gate) == 0 and ALREADY_RUNNING.startswith("You already")


def test_runs_take_turns_in_order_and_stop_while_waiting() -> None:
    gate, order = Gate(waiting=3), []
    running = gate.admit()

    def run(name: str, stop: threading.Event | None = None) -> None:
        with gate.admit() as turn:
            try:
                turn.wait(stop)
                order.append(name)
            except NSTError as exc:
                order.append(str(exc))

    stop = threading.Event()
    threads = [threading.Thread(target=run, args=("b",)), threading.Thread(target=run, args=("c", stop))]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    stop.set()
    threads[1].join(5)
    assert order == [STOPPED_WAITING]  # Stop pressed while it waited: it never ran
    running.release()
    threads[0].join(5)
    assert order == [STOPPED_WAITING, "b"] and len(gate) == 0


def test_the_deadline_sets_the_stop_flag_and_says_so() -> None:
    flag = threading.Event()
    with Deadline(0.05, flag) as deadline:
        assert flag.wait(2)
    assert deadline.expired
    flag.clear()
    with Deadline(5, flag) as deadline:
        pass
    assert not deadline.expired and not flag.wait(0.1)  # cancelled when the run ended
    policy = RunPolicy()
    assert policy.deadline(1) == 60 and policy.deadline(100) == 230 and policy.deadline(10_000) == 900


def test_tiny_runs_cannot_drag_the_estimate_down() -> None:
    """Before: a few tiny runs taught a rate near zero, and a 512 px / 300 step CPU run was 'about 5 s'."""
    engine = Engine("cpu")
    settings = engine.quality_settings(size=64, steps=2)
    done = type("Event", (), {"step": 2, "elapsed": 0.01})()
    for _ in range(20):
        engine.durations.learn(settings, done.step, done.elapsed)
    default = SECONDS_PER_MEGAPIXEL_STEP["cpu"]
    assert engine.durations.rate == default  # too short to teach anything
    fast = type("Event", (), {"step": 300, "elapsed": 6.0})()
    for _ in range(20):
        engine.durations.learn(engine.quality_settings(size=256, steps=300), fast.step, fast.elapsed)
    floor = RunPolicy().rate_band[0] * default
    assert engine.durations.rate == pytest.approx(floor)  # held at the band's floor
    assert engine.estimate(512, 300) > 500
    with pytest.raises(NSTError, match="Lower the size or the number of steps"):
        engine.quality_settings(size=512, steps=300)


def test_uploads_outlive_the_longest_wait() -> None:
    limits = studio.limits
    assert limits.DELETE_CACHE[1] == limits.UPLOAD_LIFETIME_S > limits.LONGEST_WAIT_S
    assert RunPolicy().longest_wait_s() + limits.QUEUE_SIZE <= limits.LONGEST_WAIT_S
    assert RunPolicy().waiting + 1 < limits.GPU_WORKERS  # extra requests are refused, not queued


def test_client_identity_trusts_only_the_configured_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("NST_TRUSTED_PROXIES", raising=False)
    assert client_keys("s1", "10.0.0.1", "6.6.6.6") == ("session:s1", "address:10.0.0.1")  # forged: ignored
    monkeypatch.setenv("NST_TRUSTED_PROXIES", "1")
    assert client_keys("s1", "10.0.0.1", "6.6.6.6, 7.7.7.7") == ("session:s1", "address:7.7.7.7")
    monkeypatch.setenv("SPACE_ID", "org/space")
    monkeypatch.delenv("NST_TRUSTED_PROXIES")
    assert client_keys(None, "10.0.0.1", "7.7.7.7") == ("address:7.7.7.7",)


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (NSTError("This image is 30000×30000 (900.0 MP)."), "This image is 30000×30000 (900.0 MP)."),
        (PresetError("Unknown preset 'rembrandt'. Known presets: van-gogh."), "Unknown preset 'rembrandt'."),
        (
            ModelError("No checkpoint for preset 'van-gogh': not bundled in styles/van-gogh. Train it with "
                       "`python -m training.train_presets --presets van-gogh`"),
            "The network for this painting is not available on this server right now.",
        ),
        (
            PresetError("The painting was not found: put x.jpg in /srv/data/styles (NST_STYLES_DIR)."),
            "This painting is not available on this server right now.",
        ),
        (NSTError("Cannot read /home/app/weights.safetensors"), "The server could not do this right now."),
    ],
)  # fmt: skip
def test_messages_for_visitors_name_no_server_internals(error: NSTError, shown: str) -> None:
    assert public_message(error).startswith(shown)
