"""`ft-tui chat CONFIG`: talk to the trained adapter (or the base with --base), replies streamed as generated."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from engine.cli.output import console
from engine.cli.report import report_error
from engine.cli.trained_run import DTYPES, add_trained_run_arguments, read_run_config
from engine.errors import EXIT_OK, FtTuiError

if TYPE_CHECKING:
    from engine.config import RunConfig
    from engine.infer import ChatSession

Number = TypeVar("Number", int, float)
HELP_LINE = "/reset forgets the conversation, /exit (or Ctrl-D) quits"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="chat with the trained adapter (or the base model with --base)",
        description="Chat with base model + the adapter in output_dir, using the chat template training used. "
        "With --prompt, print one reply and exit; otherwise chat until /exit. Replies are greedy (the same "
        "prompt gets the same answer) unless --temperature is set.",
    )
    add_trained_run_arguments(parser, adapter_help="use this adapter folder instead (e.g. a checkpoint-N)")
    parser.add_argument("--prompt", metavar="TEXT", help="ask this one question, print the reply, and exit")
    parser.add_argument("--base", action="store_true", help="the base model alone, without the adapter")
    parser.add_argument("--max-new-tokens", type=_positive_int, default=256, metavar="N", help="reply length cap")
    parser.add_argument(
        "--allow-repeats",
        action="store_true",
        help="let a reply that repeats itself run on to --max-new-tokens (default: it is cut where it loops)",
    )
    parser.add_argument(
        "--temperature", type=_non_negative_float, default=0.0, metavar="T", help="0 = greedy (default)"
    )
    parser.add_argument(
        "--system", metavar="TEXT", help="a system message (default: the config's default_system_message)"
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available, else cpu")
    parser.add_argument("--dtype", choices=DTYPES, help="default: float32 on cpu, bfloat16 on cuda")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = read_run_config(args)
        session = _open_session(args, config)
    except FtTuiError as error:  # an unreadable config (2), no adapter or a model that cannot be loaded (1)
        return report_error(error)
    if args.prompt is not None:
        _answer(session, args.prompt)
        return EXIT_OK
    return _interactive(session)


def _open_session(args: argparse.Namespace, config: RunConfig) -> ChatSession:
    from engine.infer import ChatSession, GenerationSettings, LoadRequest, load_for_inference

    err = console(stderr=True)
    device = args.device or _best_device()
    dtype = args.dtype or ("bfloat16" if device == "cuda" else "float32")
    request = LoadRequest(
        config,
        config_path=args.config,
        with_adapter=not args.base,
        adapter_dir=args.adapter,
        dtype=dtype,
        device=device,
    )
    loaded = load_for_inference(
        request, progress=lambda line: err.print(line, style="dim", highlight=False, markup=False)
    )
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, stop_repeats=not args.allow_repeats
    )
    system = args.system if args.system is not None else config.default_system_message
    return ChatSession(loaded, settings, system=system)


def _answer(session: ChatSession, text: str) -> None:
    """Stream one reply to stdout; Ctrl-C stops it and the exchange is not kept."""
    try:
        session.ask(text, on_text=lambda piece: print(piece, end="", flush=True))
    except KeyboardInterrupt:
        print("\n(interrupted; this exchange was not kept)", file=sys.stderr)
        return
    print(flush=True)
    note = cut_note(session.last_cut, session.settings.max_new_tokens)
    if note:
        console(stderr=True).print(note, style="dim", highlight=False, markup=False)


def cut_note(cut: str, max_new_tokens: int) -> str:
    """Why a reply ended early, and the flag that changes it."""
    if cut == "repetition":
        return (
            "(reply cut: it began repeating itself, as a model after little training often does; "
            "--allow-repeats lets it run on to --max-new-tokens)"
        )
    if cut == "length":
        return f"(reply cut at --max-new-tokens {max_new_tokens}; pass a larger --max-new-tokens for longer replies)"
    return ""


def _interactive(session: ChatSession) -> int:
    _enable_line_editing()
    console(stderr=True).print(HELP_LINE, style="dim", highlight=False)
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return EXIT_OK
        if text in ("/exit", "/quit"):
            return EXIT_OK
        if text == "/reset":
            session.reset()
            print("(conversation cleared)")
        elif text.startswith("/"):
            print(f"unknown command {text.split()[0]}: {HELP_LINE}")
        elif text:
            print("assistant> ", end="", flush=True)
            _answer(session, text)


def _enable_line_editing() -> None:
    """Arrow keys and history in input(); readline is missing on Windows, where input() still works."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401


def _best_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _at_least(convert: Callable[[str], Number], minimum: Number, *, below: str, fix: str) -> Callable[[str], Number]:
    """An argparse `type` for a number of at least `minimum`: a wrong value's error says what it is and `fix`."""
    kind = "a whole number" if convert is int else "a number"

    def parse(text: str) -> Number:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}; {fix}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} {below}; {fix}")
        return value

    return parse


_positive_int = _at_least(int, 1, below="is not a positive whole number", fix="use 1 or more, e.g. 256")
_non_negative_float = _at_least(float, 0.0, below="is negative", fix="use 0 for greedy replies or e.g. 0.7 to sample")
