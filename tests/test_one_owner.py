"""Each run-folder file name and user-folder variable is spelled in one module, engine/runs/paths.py; every other
module imports it from there, so renaming a file cannot leave a reader looking for the old name."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from engine.runs import paths

ROOT = Path(__file__).resolve().parents[1]
OWNER = ROOT / "engine" / "runs" / "paths.py"
NAMES = (
    paths.CONFIG_FILE,
    paths.RUN_CONFIG_FILE,
    *paths.CONFIG_COPIES,
    paths.EVENTS_FILE,
    paths.RUN_INFO_FILE,
    paths.CONSOLE_FILE,
    paths.LOG_FILE,
    paths.LOCK_FILE,
    paths.MODEL_CARD_FILE,
    paths.DATA_DIR_ENV,
    paths.CONFIG_DIR_ENV,
    paths.CACHE_DIR_ENV,
)


SOURCES = sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "tui").rglob("*.py")])


@functools.cache
def _tree(source: Path) -> ast.Module:
    return ast.parse(source.read_text(encoding="utf-8"))


def _modules_spelling(name: str) -> list[Path]:
    """Modules of engine/ and tui/ with `name` in a string literal: a whole value, or a word of a message or help
    text. Docstrings (string statements) do not count: they explain, they never open a file."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    found = []
    for source in SOURCES:
        tree = _tree(source)
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        if any(
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and word.search(node.value)
            for node in ast.walk(tree)
        ):
            found.append(source)
    return found


@pytest.mark.parametrize("name", sorted(set(NAMES)))
def test_each_run_folder_name_is_spelled_in_one_module(name: str) -> None:
    assert _modules_spelling(name) == [OWNER]


# Each check has one implementation: the telltale calls and names of a check appear in its owner module only, so a
# second copy (which would sooner or later disagree with the first) fails here. Behaviour tests that the callers of
# each owner agree are beside the callers (tests/data/test_loading.py, tests/tui/test_memory_line.py,
# tests/train/test_tracking.py, tests/rules/test_catalog.py: resume) and below.


def _name(call: ast.Call) -> str | None:
    """`f` for `f(...)`, `obj.f(...)` and `module.f(...)`."""
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def _constants(call: ast.Call) -> set[object]:
    """The constant values among a call's arguments, tuples opened."""
    values: set[object] = set()
    for argument in call.args:
        items = argument.elts if isinstance(argument, ast.Tuple) else [argument]
        values |= {item.value for item in items if isinstance(item, ast.Constant)}
    return values


def _modules_calling(*names: str, with_argument: object = None) -> list[str]:
    """Modules of engine/ and tui/ that call a function or method of one of `names` (with that constant argument)."""
    found = []
    for source in SOURCES:
        tree = _tree(source)
        if any(
            isinstance(node, ast.Call)
            and _name(node) in names
            and (with_argument is None or with_argument in _constants(node))
            for node in ast.walk(tree)
        ):
            found.append(source.relative_to(ROOT).as_posix())
    return found


def _spelled_in(name: str) -> list[str]:
    return [source.relative_to(ROOT).as_posix() for source in _modules_spelling(name)]


def test_the_hub_is_probed_and_offline_mode_read_in_one_module() -> None:
    """One reachability probe (an HTTP HEAD to $HF_ENDPOINT) and one reading of the offline switch."""
    owner = ["engine/models/hub.py"]
    assert _modules_calling("urlopen", "create_connection", "getaddrinfo", "socket") == owner
    assert _spelled_in("HF_ENDPOINT") == owner
    assert _spelled_in("HF_HUB_OFFLINE") == owner


def test_files_are_replaced_in_one_module() -> None:
    """Temporary files, renames and links (the parts of an atomic write) live in engine/atomic.py only."""
    assert _modules_calling("rename", "link", "mkstemp", "mkdtemp", "NamedTemporaryFile") == ["engine/atomic.py"]
    assert _os_calls("replace", "rename", "link") == ["engine/atomic.py"]


def _os_calls(*names: str) -> list[str]:
    """Modules calling `os.<name>(...)`: `str.replace` is not a file operation, `os.replace` is."""
    found = []
    for source in SOURCES:
        tree = _tree(source)
        if any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "os"
            and node.func.attr in names
            for node in ast.walk(tree)
        ):
            found.append(source.relative_to(ROOT).as_posix())
    return found


def test_whether_a_string_is_a_path_is_decided_in_one_module() -> None:
    """`./x`, `~/x`, `/x`: the prefixes that make a path are tested in engine/config/paths.py only."""
    assert _modules_calling("startswith", with_argument="~") == ["engine/config/paths.py"]


def test_training_memory_is_estimated_in_one_module() -> None:
    """The wizard's memory line, the fit rule and the disk rule all ask engine/models/memory.py."""
    assert _modules_calling("estimate_memory") == ["engine/models/memory.py"]


def test_wandb_access_is_checked_in_one_module() -> None:
    assert _modules_calling("find_spec", with_argument="wandb") == ["engine/wandb_access.py"]
    assert _spelled_in("api.wandb.ai") == ["engine/wandb_access.py"]


def test_a_checkpoint_is_judged_in_one_module() -> None:
    """What makes a checkpoint resumable (trainer_state.json, weights, no interrupted save) is read in one place."""
    assert _spelled_in("trainer_state.json") == ["engine/runs/checkpoints.py"]


def test_event_lines_are_parsed_in_one_module() -> None:
    """Splitting the bytes of events.jsonl into lines and lines into events: the event reader, nowhere else."""
    assert _modules_calling("parse_event") == ["engine/events/reader.py"]
    assert _modules_calling("validate_json") == ["engine/events/schema.py"]


def test_folder_trees_are_deleted_in_one_module() -> None:
    """Only temporary and half-written folders are ever deleted, by engine/atomic.py; a run folder is moved aside
    by its owner (engine/runs/folder.py), never deleted (the wizard once deleted it wholesale)."""
    assert _modules_calling("rmtree") == ["engine/atomic.py"]


def _output_dir_resolvers() -> list[str]:
    """Modules that build a path from an `output_dir` value themselves: `cwd / config.output_dir`, or
    `Path(...output_dir).expanduser()`."""
    found = []
    for source in SOURCES:
        for node in ast.walk(_tree(source)):
            joined = (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Div)
                and isinstance(node.right, ast.Attribute)
                and node.right.attr == "output_dir"
            )
            expanded = (
                isinstance(node, ast.Call) and _name(node) == "expanduser" and "output_dir" in ast.unparse(node.func)
            )
            if joined or expanded:
                found.append(source.relative_to(ROOT).as_posix())
                break
    return found


def test_output_dir_is_resolved_in_one_module() -> None:
    """`~` expanded and relative to the working folder once, in engine/config/paths.py (RunFolder.of and the engine
    call it): the launcher, the engine and the wizard once resolved it three ways and wrote to `./~/runs/x`."""
    assert _output_dir_resolvers() == []
    assert _modules_calling("output_path") == ["engine/config/paths.py", "engine/runs/folder.py"]


def test_checkpoint_folder_names_are_parsed_in_one_module() -> None:
    """`checkpoint-N` is matched by one pattern (the engine's resume, the outputs finder and the monitor's list)."""
    assert _spelled_in("checkpoint-(") == ["engine/runs/checkpoints.py"]


def test_markup_is_escaped_in_one_module() -> None:
    """User text meets Rich or Textual markup through engine/markup.py's escape_markup (or with markup off)."""
    importers = [
        source.relative_to(ROOT).as_posix()
        for source in SOURCES
        if any(
            isinstance(node, ast.ImportFrom) and node.module in ("rich.markup", "textual.markup")
            for node in ast.walk(_tree(source))
        )
    ]
    assert importers == ["engine/markup.py"]


def _is_minus_100(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and node.operand.value == 100
    )


def test_the_ignored_label_is_defined_in_one_module() -> None:
    """IGNORE_INDEX (-100, the label the loss skips) is defined in engine/data/spans.py; no other module of engine/
    or tui/ spells -100 (the wizard's data preview once did, and would have drifted from a changed label)."""
    definers, literals = [], []
    for source in SOURCES:
        for node in ast.walk(_tree(source)):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "IGNORE_INDEX" for t in node.targets):
                definers.append(source.relative_to(ROOT).as_posix())
            if _is_minus_100(node):
                literals.append(source.relative_to(ROOT).as_posix())
    assert definers == ["engine/data/spans.py"]
    assert literals == ["engine/data/spans.py"]


def test_the_job_size_and_the_library_switches_have_one_owner_each() -> None:
    """WORLD_SIZE is read in engine/world.py; the libraries' bars and verbosity are set in engine/cli/output.py,
    for the commands and the wizard's data preview alike (which once turned datasets' bars off itself)."""
    assert _spelled_in("WORLD_SIZE") == ["engine/world.py"]
    switches = ("disable_progress_bars", "disable_progress_bar", "set_verbosity_error", "set_verbosity_warning")
    assert _modules_calling(*switches) == ["engine/cli/output.py"]


def test_exit_codes_are_defined_in_one_module() -> None:
    """Every command ends with a code named in engine/errors.py (0, 1, 2, 130, 141), not a local copy of it."""
    definers = set()
    for source in SOURCES:
        for node in ast.walk(_tree(source)):
            targets = node.targets if isinstance(node, ast.Assign) else []
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            names += [e.id for t in targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)]
            if any(name.startswith("EXIT_") and not name.endswith(("_S", "_SECONDS")) for name in names):
                definers.add(source.relative_to(ROOT).as_posix())
    assert definers == {"engine/errors.py"}


def test_dataset_formats_are_listed_once() -> None:
    """The config's list of dataset types is the formatters' list; the menus offer it less the legacy names."""
    from engine.config.choices import DATASET_TYPES, LEGACY_DATASET_TYPES, OFFERED_DATASET_TYPES
    from engine.data.formats import FORMATS

    assert FORMATS is DATASET_TYPES
    assert sorted(OFFERED_DATASET_TYPES) == sorted(set(DATASET_TYPES) - set(LEGACY_DATASET_TYPES))


def test_export_choices_are_listed_once() -> None:
    """The quants, the formats and their defaults live in engine/export (quants.py, lora.py, choices.py): `ft-tui
    export`'s `--to` and `--quant` help agree with them, and the monitor's Export dialog spells none of them."""
    from engine.cli import build_parser
    from engine.cli import export as command
    from engine.export.choices import FORMATS
    from engine.export.quants import DEFAULT_QUANT, QUANTS

    low_bits = [name for name in QUANTS if name.startswith(("q4", "q5"))]  # f16, bf16 are dtypes elsewhere too
    assert all(_spelled_in(name) == ["engine/cli/export.py", "engine/export/quants.py"] for name in low_bits)
    assert not [path for name in QUANTS for path in _spelled_in(name) if path.startswith("tui/monitor/")]
    assert tuple(FORMATS) == command.FORMATS
    export = build_parser()._subparsers._group_actions[0].choices["export"]  # type: ignore[union-attr]
    quant_help = next(action.help or "" for action in export._actions if action.dest == "quant")
    assert all(name in quant_help for name in QUANTS) and f"default: {DEFAULT_QUANT}" in quant_help
    assert not [path for path in _spelled_in("gguf-lora") if path.startswith("tui/")]


# Behaviour: the callers of one owner agree where they used to disagree.


def test_offline_mode_is_read_alike_by_model_resolution_and_dataset_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """`HF_HUB_OFFLINE=on` is offline for both: the dataset loader lets `datasets` read its cache without probing
    the hub (it used to accept only 1/true/yes, and probed)."""
    from engine.config import DatasetConfig
    from engine.data.loading import load_source
    from engine.models import hub

    def no_probe(*_args: object) -> bool:
        raise AssertionError("offline mode was asked for: the hub must not be probed")

    loaded = object()
    monkeypatch.setenv("HF_HUB_OFFLINE", "on")
    monkeypatch.setattr(hub, "_answers", no_probe)
    monkeypatch.setattr("datasets.load_dataset", lambda *_args, **_kwargs: loaded)
    assert hub.hub_offline_reason() == "HF_HUB_OFFLINE is set"
    assert load_source(DatasetConfig(path="org/dataset")) is loaded


@pytest.mark.parametrize("text", ["./m", "~/m", "/m", "a/b/c", "a\\b"])
def test_a_string_written_as_a_path_is_a_path_to_every_reader(text: str) -> None:
    """The model resolver, the dataset loader and the model card read `text` as a path, never as a hub id."""
    from engine.config import parse_config_dict
    from engine.config.paths import looks_local
    from engine.models import resolve_model
    from engine.models.errors import ModelResolutionError
    from engine.train.model_card import _link

    assert looks_local(text)
    with pytest.raises(ModelResolutionError, match="no such folder"):
        resolve_model(text)
    assert _link(parse_config_dict({"base_model": text}).base_model) == text


def test_training_method_labels_are_spelled_in_one_module() -> None:
    """The wizard's Method menu and `init --plain` once named QLoRA differently and set `load_in_4bit` differently;
    both now read engine/config/choices.py (labels and `method_changes`), and no other module spells a label."""
    from engine.config.choices import TRAINING_METHODS
    from tui.plain import METHODS as PLAIN_METHODS
    from tui.screens.model import METHODS as WIZARD_METHODS

    for label, _adapter in TRAINING_METHODS:
        if " " in label:  # "LoRA" alone is a word of many messages, not a menu's label
            assert _spelled_in(label) == ["engine/config/choices.py"], label
    assert list(PLAIN_METHODS.items()) == list(WIZARD_METHODS) == list(TRAINING_METHODS)
    assert _modules_calling("method_changes") == ["tui/plain.py", "tui/screens/model.py"]


def _worker_starters() -> list[str]:
    """Modules of tui/ that start background work themselves: `run_worker(...)`, a `@work` decorator, a
    `threading.Thread`, or an executor."""
    found = []
    for source in SOURCES:
        if source.relative_to(ROOT).parts[0] != "tui":
            continue
        tree = _tree(source)
        calls = {_name(node) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        decorators = {
            ast.unparse(decorator).split("(")[0]
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for decorator in node.decorator_list
        }
        if calls & {"run_worker", "Thread", "ThreadPoolExecutor", "ProcessPoolExecutor"} or decorators & {"work"}:
            found.append(source.relative_to(ROOT).as_posix())
    return found


def test_the_tui_starts_workers_in_one_module() -> None:
    """Every worker of the TUI starts through tui/workers.py (`in_background`, `loop_in_background`), whose
    wrappers hand a failure to the caller's `failed` on the UI thread: there once were two patterns, one of which
    left each screen to catch Worker.StateChanged itself (or to lose the error). tui/web/tab.py's thread is no
    worker: it watches the server process from outside the app, to end the app even when the app is stuck."""
    assert _worker_starters() == ["tui/web/tab.py", "tui/workers.py"]
    assert not [
        source.relative_to(ROOT).as_posix()
        for source in SOURCES
        if source.relative_to(ROOT).parts[0] == "tui"
        and any(
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "on_worker_state_changed"
            for node in ast.walk(_tree(source))
        )
    ]
