"""`--listen`'s recorder (deskpilot/listen.py) with the real arecord: a microphone that speaks
(ALSA's file plugin feeding espeak-ng's speech, see tests/speech.py) is recorded sample for sample,
and a recorder or device that is not there is a usage error in words a user can act on."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from deskpilot.errors import UsageError
from deskpilot.listen import MARGIN_S, RATE, WINDOW_S, Microphone, record_command, record_task
from tests.speech import MIC, microphone, needs_arecord, speaking_microphone


def test_the_command_records_16_khz_mono_for_whole_seconds(tmp_path: Path) -> None:
    command = record_command(tmp_path / "task.wav", 2.4, "hw:1")
    assert command[0] == "arecord" and command[-1] == str(tmp_path / "task.wav")
    flags = dict(zip(command[2:-1:2], command[3:-1:2], strict=True))
    assert flags == {"-D": "hw:1", "-d": "2", "-f": "S16_LE", "-r": "16000", "-c": "1", "-t": "wav"}


@needs_arecord
def test_what_the_microphone_says_is_what_the_task_holds_without_the_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, said = speaking_microphone(tmp_path)  # the words, then silence
    monkeypatch.setenv("ALSA_CONFIG_PATH", env["ALSA_CONFIG_PATH"])
    audio = Microphone(seconds=3, device=MIC).record(tmp_path / "run" / "task.wav")
    assert audio.source == str(tmp_path / "run" / "task.wav")
    with wave.open(audio.source) as heard:
        assert (heard.getframerate(), heard.getnchannels(), heard.getsampwidth()) == (RATE, 1, 2)
        kept = np.frombuffer(heard.readframes(heard.getnframes()), dtype="<i2")
    fed = np.concatenate([said, np.zeros(3 * RATE - len(said), dtype="<i2")])
    loud = np.flatnonzero(np.abs(said) > 0.05 * 32768)  # where the words surely are
    # one stretch of what the microphone gave, holding every word, the silence after cut
    start = next(
        i for i in range(len(fed) - len(kept) + 1) if np.array_equal(fed[i : i + 10], kept[:10])
    )
    assert np.array_equal(fed[start : start + len(kept)], kept)
    assert start <= loud[0] and start + len(kept) > loud[-1]
    assert start + len(kept) <= loud[-1] + (MARGIN_S + 2 * WINDOW_S) * RATE
    assert audio.seconds == round(len(kept) / RATE, 3) < len(said) / RATE + 2 * MARGIN_S


@needs_arecord
def test_a_silent_microphone_is_heard_as_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hiss = np.random.default_rng(0).normal(0, 0.002 * 32768, RATE // 2)  # a muted microphone
    monkeypatch.setenv("ALSA_CONFIG_PATH", microphone(tmp_path, hiss)["ALSA_CONFIG_PATH"])
    with pytest.raises(UsageError, match=r"heard nothing: the 2\.0 s recorded are silent"):
        record_task(tmp_path / "task.wav", 2, MIC)


@needs_arecord
def test_a_device_that_is_not_there_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot record from the microphone 'nosuchmic' \(") as e:
        record_task(tmp_path / "task.wav", 1, "nosuchmic")
    assert "--mic" in str(e.value) and "--audio TASK.wav" in str(e.value)


def test_without_arecord_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no arecord on it
    with pytest.raises(UsageError, match="apt install alsa-utils"):
        record_task(tmp_path / "task.wav", 2)
    assert not (tmp_path / "task.wav").exists()


@pytest.mark.parametrize("seconds", [0, 31])
def test_a_recording_length_out_of_range_is_refused(tmp_path: Path, seconds: float) -> None:
    with pytest.raises(UsageError, match="between 1 and 30"):
        record_task(tmp_path / "task.wav", seconds)


def test_doctor_says_what_listening_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from deskpilot.cli.doctor import check_microphone, check_model

    cards = Path("/proc/asound/cards")
    if shutil.which("arecord") and not (cards.exists() and "]: " in cards.read_text()):
        check = check_microphone()  # arecord, and no sound card (CI, a container)
        assert check.status == "warn" and check.found == "arecord finds no capture device"
        assert "--audio TASK.wav" in check.fix and not check.required
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = check_microphone()
    assert missing.status == "warn" and "apt-get install alsa-utils" in missing.fix
    hears = check_model(Path(__file__).parents[1] / "models" / "gemma4-tiny")
    assert "hears a spoken task" in hears.found
    assert "hears" not in check_model(None).found  # the embedded model takes no audio
