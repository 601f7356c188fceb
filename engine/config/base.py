"""The strict pydantic base every config section shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Forbids unknown keys and turns attribute docstrings into field help.

    axolotl silently drops keys it does not know, and users lose hours to a typo; we refuse them instead (the loader
    adds a did-you-mean). The docstring under each field becomes its `description`, which the wizard shows as help,
    so the help text lives next to the field it explains.
    """

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        validate_assignment=True,
        populate_by_name=True,
        # axolotl has a `model_type` key; pydantic reserves `model_` names unless told otherwise.
        protected_namespaces=(),
        # `learning_rate: .inf` or `.nan` would train to a NaN loss; no key has a use for a non-finite number.
        allow_inf_nan=False,
    )
