"""Form rows bound to one config key each: a label, a control, and the error line for that key."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, RadioButton, RadioSet, Select, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist

from engine.config import ConfigError, ConfigProblem
from tui.state import ROLES_SYNTAX, default_is_empty
from tui.widgets.text_input import InOrderInput


class FieldRow(Vertical):
    """One config key on screen. Subclasses say how the key's value is read from and written to the control.

    The row holds no value of its own: the step screen loads it from the config and reads it back to build
    the next config, so the config stays the only state.
    """

    DEFAULT_CSS = """
    FieldRow { height: auto; margin: 0 0 0 0; }
    FieldRow > Horizontal { height: auto; }
    FieldRow .field-label { width: 18; padding: 0 1 0 0; color: $text-muted; }
    FieldRow Horizontal > Input, FieldRow Horizontal > Select, FieldRow Horizontal > Checkbox { width: 1fr; }
    FieldRow .field-error { display: none; color: $text-error; padding: 0 0 0 18; }
    FieldRow.-invalid .field-error { display: block; }
    FieldRow.-invalid .field-label { color: $text-error; }
    """

    def __init__(self, key: str, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id or f"row-{key}")
        self.key = key
        self.label = label

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            yield self.make_control()
        yield Static("", classes="field-error")

    def make_control(self) -> Widget:
        raise NotImplementedError

    @property
    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def show_error(self, message: str | None) -> None:
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-error", Static).update(f"✗ {message}" if message else "")


class InputField(FieldRow):
    """A one-line text box; subclasses say what its text means (`value`), so each can have its own type."""

    def __init__(self, key: str, label: str, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(key, label, id=id)
        self.placeholder = placeholder

    def make_control(self) -> Widget:
        return InOrderInput(placeholder=self.placeholder, compact=True, id=f"in-{self.id}", select_on_focus=False)

    @property
    def control(self) -> Input:
        return self.query_one(Input)

    def set_value(self, value: Any) -> None:
        """Show `value`, unless the box already holds it (up to the spaces `value` strips): reloading the fields
        while someone types must not drop the space just typed or move the cursor."""
        text = "" if value is None else _as_text(value)
        if self.control.value.strip() != text:
            self.control.value = text


class TextField(InputField):
    """Free text; pydantic turns it into the key's type (`2e-4` into a float) or names what is wrong.

    An empty box means "not set", so the key falls back to its default and is left out of the YAML.
    """

    @property
    def value(self) -> str | None:
        return self.control.value.strip() or None


TICKED, UNTICKED = "X", " "
"""What a checkbox, a checklist entry or a radio button holds when on and off. Textual draws the same mark in
both states and tells them apart by colour alone, which reads as "on" in a monochrome terminal, a screen reader
or a pasted screenshot; an empty box when off reads right everywhere."""


class Tick(Checkbox):
    """A checkbox whose box is empty when off."""

    BUTTON_INNER = UNTICKED

    def watch_value(self) -> None:
        super().watch_value()
        self.BUTTON_INNER = TICKED if self.value else UNTICKED
        self.refresh()


class Dot(RadioButton):
    """A radio button whose circle is empty when off: the one chosen is the one with a dot."""

    BUTTON_INNER = UNTICKED

    def watch_value(self) -> None:
        super().watch_value()
        self.BUTTON_INNER = "●" if self.value else UNTICKED
        self.refresh()


class TickList(SelectionList[str]):
    """A checklist whose unticked entries have an empty box (SelectionList draws every box with an X, as
    Checkbox does by default)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 3 or segments[1].text != Checkbox.BUTTON_INNER:
            return strip  # not a line with a box (the layout changed in a new Textual): leave it as drawn
        box = segments[1]
        mark = TICKED if option.value in self.selected else UNTICKED
        segments[1] = Segment(mark, box.style, box.control)
        return Strip(segments, strip.cell_length)


class BoolField(FieldRow):
    """A yes/no key as a checkbox. Off reads as "not set" for keys whose default is empty, so unticking a box
    leaves the YAML as it was rather than adding `key: false` lines."""

    def __init__(self, key: str, label: str, text: str = "", *, id: str | None = None) -> None:
        super().__init__(key, label, id=id)
        self.text = text or "on"
        self.off_value: bool | None = None if default_is_empty(key) else False

    def make_control(self) -> Widget:
        return Tick(self.text, compact=True, id=f"in-{self.id}")

    @property
    def control(self) -> Checkbox:
        return self.query_one(Checkbox)

    @property
    def value(self) -> bool | None:
        return True if self.control.value else self.off_value

    def set_value(self, value: Any) -> None:
        if self.control.value != bool(value):
            self.control.value = bool(value)


class ChoiceField(FieldRow):
    """A key with a few meaningful values (including None, "decide for me"), as a drop-down.

    A value from an opened file that is not among the choices is added as its own option, never lost.
    """

    def __init__(self, key: str, label: str, choices: list[tuple[str, Any]], *, id: str | None = None) -> None:
        super().__init__(key, label, id=id)
        self.choices = list(choices)

    def make_control(self) -> Widget:
        return Select(self._options(), allow_blank=False, compact=True, id=f"in-{self.id}")

    def _options(self) -> list[tuple[str, str]]:
        return [(label, str(index)) for index, (label, _) in enumerate(self.choices)]

    @property
    def control(self) -> Select[str]:
        return self.query_one(Select)

    @property
    def value(self) -> Any:
        selected = self.control.value
        return self.choices[int(selected)][1] if isinstance(selected, str) else None

    def set_value(self, value: Any) -> None:
        index = next((i for i, (_, v) in enumerate(self.choices) if v == value and type(v) is type(value)), None)
        if index is None:
            self.choices.append((f"{value} (from file)", value))
            self.control.set_options(self._options())
            index = len(self.choices) - 1
        if self.control.value != str(index):
            self.control.value = str(index)


def _as_text(value: Any) -> str:
    """Numbers as people type them: 0.0005 rather than 5e-04, lists as comma-separated names."""
    if isinstance(value, float):
        return repr(value) if value >= 1e-3 or value == 0 else f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


class ListField(InputField):
    """A list of names typed as `a, b, c`; one name stays a one-item list."""

    @property
    def value(self) -> list[str] | None:
        text = self.control.value.strip()
        return [part.strip() for part in text.split(",") if part.strip()] or None


class RolesField(InputField):
    """A dataset's role names mapped onto the template's, typed as `user: human; assistant: gpt, function_call;
    tool: observation` (axolotl's `roles:`), so tool-call conversations need no text editor.

    Text that is not in that shape is refused with what to type instead, never guessed into roles.
    """

    @property
    def value(self) -> dict[str, list[str]] | None:
        text = self.control.value.strip()
        if not text:
            return None
        roles = parse_roles(text)
        if roles is None:
            raise ConfigError([ConfigProblem(self.key, roles_problem(text), f"type them as `{ROLES_SYNTAX}`")])
        return roles

    def set_value(self, value: Any) -> None:
        text = format_roles(value) if isinstance(value, dict) else "" if value is None else str(value)
        if self.control.value != text:
            self.control.value = text


def parse_roles(text: str) -> dict[str, list[str]] | None:
    """`user: human; assistant: gpt, bot` as `{user: [human], assistant: [gpt, bot]}`; None when malformed."""
    roles: dict[str, list[str]] = {}
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        role, colon, names = part.partition(":")
        aliases = [name.strip() for name in names.split(",") if name.strip()]
        if not colon or not role.strip() or not aliases:
            return None
        if any(len(name.split()) > 1 for name in [role, *aliases]):
            return None  # `user: human assistant gpt` is two roles missing their `;`, not one role named so
        roles[role.strip()] = aliases
    return roles or None


def roles_problem(text: str) -> str:
    """What is wrong with role names `parse_roles` refused, in the words of the field's syntax."""
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        role, colon, names = part.partition(":")
        if not colon or not role.strip():
            return f"`{part}` names no role before a `:`"
        if not names.strip(" ,"):
            return f"`{part}` gives no dataset name after the `:`"
        if any(len(name.split()) > 1 for name in [role, *names.split(",")]):
            return f"`{part}` has a space inside a name: a `;` goes between roles, a `,` between names"
    return "no role names"


def format_roles(roles: dict[str, Any]) -> str:
    return "; ".join(
        f"{role}: {', '.join(map(str, names if isinstance(names, list) else [names]))}" for role, names in roles.items()
    )


class ChecklistField(FieldRow):
    """A list of names picked from known ones (a model's linear layers); unknown names from a file are kept and
    marked, so the rule that flags them can say why."""

    DEFAULT_CSS = """
    ChecklistField SelectionList { height: auto; max-height: 9; width: 1fr; }
    """

    def __init__(self, key: str, label: str, names: list[str], *, id: str | None = None) -> None:
        super().__init__(key, label, id=id)
        self.names = list(names)

    def make_control(self) -> Widget:
        return TickList(*[(name, name) for name in self.names], compact=True, id=f"in-{self.id}")

    @property
    def control(self) -> TickList:
        return self.query_one(TickList)

    @property
    def value(self) -> list[str] | None:
        chosen = list(self.control.selected)
        return [name for name in self.names if name in chosen] or None

    def set_value(self, value: Any) -> None:
        wanted = [value] if isinstance(value, str) else list(value or [])
        for name in wanted:
            if name not in self.names:
                self.names.append(name)
                self.control.add_option((f"{name} (not in this model)", name))
        if set(self.control.selected) != set(wanted):
            self.control.deselect_all()
            for name in wanted:
                self.control.select(name)


class RadioField(FieldRow):
    """One of several values as radio buttons; an option that cannot work here is greyed with the reason."""

    DEFAULT_CSS = """
    RadioField RadioSet { width: 1fr; height: auto; border: none; padding: 0; }
    """

    def __init__(self, key: str, label: str, choices: list[tuple[str, Any, str | None]], *, id: str | None = None):
        super().__init__(key, label, id=id)
        self.choices = choices
        """(label, value, reason it cannot be used or None)."""

    def make_control(self) -> Widget:
        buttons = [
            Dot(f"{label} ({reason})" if reason else label, disabled=reason is not None, compact=True)
            for label, _, reason in self.choices
        ]
        return RadioSet(*buttons, compact=True, id=f"in-{self.id}")

    @property
    def control(self) -> RadioSet:
        return self.query_one(RadioSet)

    @property
    def value(self) -> Any:
        index = self.control.pressed_index
        return self.choices[index][1] if index >= 0 else None

    def set_value(self, value: Any) -> None:
        buttons = list(self.control.query(RadioButton))
        index = next((i for i, (_, v, _) in enumerate(self.choices) if v == value), None)
        if index is not None and not buttons[index].value:
            buttons[index].value = True
