"""`ft-tui doctor`: verdicts for machines described by hand (a CPU laptop, GPU servers with clashing wheels)."""

from __future__ import annotations

import json

import pytest

from engine.doctor import Diagnosis, Environment, Gpu, diagnose, gather, xformers_for_torch
from engine.doctor.compat import CUDA_WHEEL_INDEX
from tui.cli import main

LIBRARIES = {"transformers": "5.24.0", "peft": "0.21.2", "accelerate": "1.15.0", "datasets": "5.2.0"}
A100 = Gpu(0, "NVIDIA A100-SXM4-80GB", 80.0, (8, 0))
T4 = Gpu(0, "Tesla T4", 15.0, (7, 5))


def machine(torch: str = "2.13.0+cpu", cuda: str | None = None, gpus: tuple[Gpu, ...] = (), **extra: str) -> Diagnosis:
    packages: dict[str, str | None] = {"torch": torch, **LIBRARIES, **extra}
    env = Environment("3.11.7", "Linux x86_64", torch, cuda, gpus, cpu_cores=8, cpu_bf16=True, packages=packages)
    return diagnose(env)


def verdict(diagnosis: Diagnosis, name: str) -> tuple[bool, str | None]:
    item = next(item for item in diagnosis.capabilities if item.name == name)
    return item.works, item.fix


def test_cpu_machine_names_what_works_and_a_fix_for_the_rest() -> None:
    laptop = machine()
    for works in ("cpu", "sdpa", "eager", "bf16", "fp32", "ddp"):
        assert laptop.works(works), works
    for missing in ("cuda", "xformers", "flash_attention_2", "qlora (load_in_4bit)", "fp16", "deepspeed", "fsdp2"):
        works, fix = verdict(laptop, missing)
        assert not works and fix, missing
    assert verdict(laptop, "xformers")[1] == "on a machine with an NVIDIA GPU: pip install xformers==0.0.35"
    assert verdict(laptop, "qlora (load_in_4bit)")[1] == "on a machine with an NVIDIA GPU: pip install bitsandbytes"
    assert laptop.problems == []


def test_gpu_with_a_cpu_build_of_torch_gets_the_cuda_wheel_command() -> None:
    works, fix = verdict(machine(gpus=(A100,)), "cuda")
    assert not works
    assert fix == f"pip install --force-reinstall torch==2.13.0 --index-url {CUDA_WHEEL_INDEX}"


def test_xformers_built_for_another_torch_is_a_clash_with_the_matching_release() -> None:
    server = machine("2.7.1+cu126", "12.6", (A100,), xformers="0.0.30", **{"flash-attn": "2.8.3"})
    assert server.works("cuda") and server.works("flash_attention_2") and server.works("bf16")
    assert verdict(server, "xformers") == (False, "pip install xformers==0.0.31.post1")
    assert [problem.fix for problem in server.problems] == ["pip install xformers==0.0.31.post1"]
    assert "built for torch==2.7.0" in server.problems[0].message


def test_pre_ampere_gpu_has_no_flash_attention_or_bf16() -> None:
    turing = machine("2.7.1+cu126", "12.6", (T4,), **{"flash-attn": "2.8.3"})
    assert turing.works("fp16") and turing.works("sdpa")
    assert not turing.works("flash_attention_2") and not turing.works("bf16") and not turing.works("tf32")


def test_flash_attn_on_a_cpu_build_of_torch_is_a_clash() -> None:
    laptop = machine(**{"flash-attn": "2.8.3"})
    assert [problem.fix for problem in laptop.problems] == ["pip uninstall -y flash-attn"]


@pytest.mark.parametrize(
    ("torch", "release"),
    [("2.7.1+cu126", "0.0.31.post1"), ("2.5.1", "0.0.29.post1"), ("2.13.0+cpu", "0.0.35"), ("2.3.0", None)],
)
def test_xformers_release_for_each_torch(torch: str, release: str | None) -> None:
    assert xformers_for_torch(torch) == release


def test_doctor_json_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    expected = 1 if diagnose(gather()).problems else 0
    assert main(["doctor", "--json"]) == expected
    report = json.loads(capsys.readouterr().out)
    assert report["environment"]["python"] and report["environment"]["packages"]["transformers"]
    names = {item["name"] for item in report["capabilities"]}
    assert {"cpu", "cuda", "sdpa", "flash_attention_2", "xformers", "bf16", "fp16", "deepspeed"} <= names


def test_doctor_text_lists_every_capability(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor"])
    out = capsys.readouterr().out
    assert "torch" in out and "sdpa" in out and "flash_attention_2" in out


def test_doctor_says_whether_serve_works_and_how_to_install_it() -> None:
    assert verdict(machine(**{"textual-serve": "1.1.3"}), "serve") == (True, None)
    works, fix = verdict(machine(), "serve")
    assert not works
    assert fix == "pip install 'textual-serve==1.1.3'"
